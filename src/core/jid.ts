/**
 * JIDs, parsed by @xmpp/jid (RFC 7622 shape: local@domain/resource; local and domain case-mapped):
 * a pure address parser, the one exception to "no wire library in core", so the core's routing
 * rules and the XMPP side never disagree on a JID. How a network address becomes a localpart and
 * back (XEP-0106, stricter than @xmpp/jid's own escaping) is localpart.ts.
 */
import { parse } from "@xmpp/jid";

export interface JidParts {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;
}

/** Longest bare JID accepted (RFC 7622: each part at most 1023 octets). */
const MAX_BARE = 2048;

export function parseJid(jid: string): JidParts | undefined {
  let parsed: { local: string; domain: string; resource: string };
  try {
    parsed = parse(jid);
  } catch {
    return undefined;
  }
  const parts = { local: parsed.local ?? "", domain: parsed.domain, resource: parsed.resource ?? "" };
  if (parts.domain.includes("@") || bareJid(parts).length > MAX_BARE) return undefined;
  return parts;
}

export function bareJid(parts: JidParts): string {
  return parts.local ? `${parts.local}@${parts.domain}` : parts.domain;
}
