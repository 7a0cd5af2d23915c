/**
 * Minimal JID handling for the core's routing rules (RFC 7622 shape: local@domain/resource). The
 * core uses no XMPP library: stanzas' JIDs are parsed in src/xmpp/jid.ts by @xmpp/jid.
 */
export interface JidParts {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;
}

export function parseJid(jid: string): JidParts | undefined {
  const slash = jid.indexOf("/");
  const bare = slash === -1 ? jid : jid.slice(0, slash);
  const resource = slash === -1 ? "" : jid.slice(slash + 1);
  const at = bare.indexOf("@");
  const local = at === -1 ? "" : bare.slice(0, at);
  const domain = (at === -1 ? bare : bare.slice(at + 1)).toLowerCase();
  if (domain === "" || domain.includes("@") || bare.length > 2048) return undefined;
  return { local, domain, resource };
}

export function bareJid(parts: JidParts): string {
  return parts.local ? `${parts.local}@${parts.domain}` : parts.domain;
}
