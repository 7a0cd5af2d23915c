/** Who is asking: the sender of a stanza, as the gateway's authorization rules see it. */
import type { Element } from "@xmpp/component";
import { Refusal } from "../core/errors.js";
import { bareJid } from "../core/jid.js";
import { parseJid } from "./jid.js";

export interface Requester {
  /** The full JID the stanza came from (replies go there). */
  readonly full: string;
  readonly bare: string;
  readonly domain: string;
  /** A user account (local@domain) of an allowed domain. */
  readonly allowed: boolean;
  readonly admin: boolean;
}

export interface AccessRules {
  readonly allowedDomains: ReadonlySet<string>;
  readonly admins: ReadonlySet<string>;
}

export function requester(stanza: Element, rules: AccessRules): Requester {
  const full = stanza.attrs.from ?? "";
  const parts = parseJid(full);
  if (!parts) return { full, bare: "", domain: "", allowed: false, admin: false };
  const bare = bareJid(parts);
  const isUser = parts.local.length > 0;
  const admin = isUser && rules.admins.has(bare);
  return {
    full,
    bare,
    domain: parts.domain,
    allowed: admin || (isUser && rules.allowedDomains.has(parts.domain)),
    admin,
  };
}

/** Throws forbidden unless the requester is a user of an allowed domain (or an admin). */
export function requireUser(r: Requester): void {
  if (!r.allowed) {
    throw new Refusal(
      "forbidden",
      r.domain
        ? `Users of ${r.domain} may not use this gateway.`
        : "Only user accounts may use this gateway.",
    );
  }
}
