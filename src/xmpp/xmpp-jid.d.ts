// Types for the part of @xmpp/jid 0.14.0 that the gateway uses: an ES module without bundled types.

declare module "@xmpp/jid" {
  export class JID {
    constructor(local: string | undefined, domain: string, resource?: string);
    readonly local: string;
    readonly domain: string;
    readonly resource: string;
    bare(): JID;
    toString(): string;
  }
  /** Splits "local@domain/resource"; lowercases local and domain; throws TypeError without a domain. */
  export function parse(jid: string): JID;
}
