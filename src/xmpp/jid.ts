/**
 * JIDs, parsed by @xmpp/jid (RFC 7622 shape: local@domain/resource; local and domain case-mapped),
 * so the routing rules and the rest of the XMPP side never disagree on a JID. The core gets this
 * parser handed in (JidParser) and reads only the parts.
 */
import { parse } from "@xmpp/jid";
import { bareJid, type JidParts } from "../core/jid.js";

/** Longest bare JID accepted (RFC 7622: each part at most 1023 octets). */
const MAX_BARE = 2048;

/**
 * Full JIDs (with a resource: users' sessions) parsed lately. A session sends many stanzas, and
 * @xmpp/jid's parse runs ten replaceAll over the local part of each; contacts' bare JIDs are
 * many and rarely repeat, so they are not kept. Emptied when full: bounded whatever is sent.
 */
const recentFull = new Map<string, JidParts | undefined>();
const RECENT_MAX = 256;

export function parseJid(jid: string): JidParts | undefined {
  if (!jid.includes("/")) return parseOnce(jid);
  if (recentFull.has(jid)) return recentFull.get(jid);
  const parts = parseOnce(jid);
  if (recentFull.size >= RECENT_MAX) recentFull.clear();
  recentFull.set(jid, parts);
  return parts;
}

function parseOnce(jid: string): JidParts | undefined {
  let parsed: { local: string; domain: string; resource: string };
  try {
    parsed = parse(jid);
  } catch {
    return undefined;
  }
  const parts = { local: parsed.local ?? "", domain: parsed.domain, resource: parsed.resource ?? "" };
  if (parts.domain.includes("@") || bareJid(parts).length > MAX_BARE) return undefined;
  return Object.freeze(parts);
}

/**
 * The domain of `jid` as parseJid would give it (before the first "/", after the first "@",
 * lowercased), without parsing the local part: for routing every stanza by its `to`. Undefined
 * when there is none or it holds an "@"; a JID too long for parseJid still gets its domain here
 * and is turned away where it is parsed whole.
 */
export function jidDomain(jid: string): string | undefined {
  const slash = jid.indexOf("/");
  const bare = slash === -1 ? jid : jid.slice(0, slash);
  const domain = bare.slice(bare.indexOf("@") + 1);
  if (domain === "" || domain.includes("@")) return undefined;
  return domain.toLowerCase();
}
