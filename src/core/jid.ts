/**
 * JID parts as the core reads them (local@domain/resource, already parsed and case-mapped by the
 * XMPP side's parser, src/xmpp/jid.ts, which the core is handed: it imports no XMPP library). How
 * a network address becomes a localpart and back (XEP-0106) is localpart.ts.
 */

export interface JidParts {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;
}

/** Turns a JID string into its parts, or undefined when it is not a JID. */
export type JidParser = (jid: string) => JidParts | undefined;

export function bareJid(parts: JidParts): string {
  return parts.local ? `${parts.local}@${parts.domain}` : parts.domain;
}
