/**
 * JIDs, parsed by @xmpp/jid (RFC 7622 shape: local@domain/resource; local and domain case-mapped),
 * so the routing rules and the rest of the XMPP side never disagree on a JID. The core gets this
 * parser handed in (JidParser) and reads only the parts.
 */
import { parse } from "@xmpp/jid";
import { bareJid, type JidParts } from "../core/jid.js";

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
