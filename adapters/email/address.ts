/**
 * Email addresses <-> JID localparts (XEP-0106): `bob@example.com` is the contact
 * `bob\40example.com@<gateway domain>`. Input also takes the old percent hack
 * (`bob%example.com`, the last `%` read as `@` when there is no `@`) and a bare address (what a
 * person types into the XEP-0100 prompt); output always escapes.
 *
 * Canonical form: the address lowercased (domains are case-insensitive, XMPP servers case-fold
 * the localpart anyway, and virtually no mail system treats local parts by case), validated by
 * validator's isEmail (dot-atom or quoted local part, UTF-8 allowed, a domain with a TLD, no IP
 * literals, RFC 5321 lengths).
 */
import isEmailModule from "validator/lib/isEmail.js";
import { AddressError } from "../../src/core/errors.js";
import { unescapeLocalpart } from "../../src/core/localpart.js";
import { jidSafeLocalpart } from "../../src/core/localpart-chars.js";

// CommonJS: the default import is module.exports, the function, which is also its own `.default`.
const isEmail = isEmailModule.default;

const EMAIL_RULES = {
  allow_display_name: false,
  allow_utf8_local_part: true,
  require_tld: true,
  allow_ip_domain: false,
} as const;

/** What was typed, as an error text may quote it: controls dropped, at most 80 characters. */
function quoted(typed: string): string {
  const clean = typed.replace(/\p{Cc}/gu, "");
  return clean.length > 80 ? `${clean.slice(0, 79)}…` : clean;
}

/** Whether `address` is an email address in canonical form (what parseEmailAddress returns). */
export function isEmailAddress(address: string): boolean {
  return address === address.toLowerCase() && isEmail(address, EMAIL_RULES);
}

/** An address as written anywhere (header, envelope, config) -> canonical form, or undefined. */
export function canonicalEmail(text: string): string | undefined {
  const address = text
    .trim()
    .replace(/^<(.*)>$/, "$1")
    .toLowerCase();
  return isEmail(address, EMAIL_RULES) ? address : undefined;
}

/**
 * JID localpart (or a typed address) -> canonical email address; throws AddressError
 * (jid-malformed) naming what was typed when it is not one.
 */
export function parseEmailLocalpart(localpart: string): string {
  let text = unescapeLocalpart(localpart.trim());
  if (!text.includes("@")) {
    const at = text.lastIndexOf("%");
    if (at > 0) text = `${text.slice(0, at)}@${text.slice(at + 1)}`;
  }
  const address = canonicalEmail(text);
  if (address === undefined) {
    throw new AddressError(
      `"${quoted(localpart)}" is not an email address (expected name@example.org, or name\\40example.org as a JID localpart).`,
    );
  }
  return address;
}

/** Canonical email address -> JID localpart (`@` and the other XEP-0106 characters escaped). */
export function formatEmailAddress(address: string): string {
  return jidSafeLocalpart(address);
}

/** check-config's check of a config user's address (registered in main.ts): why not, or undefined. */
export function configAddressProblem(address: string): string | undefined {
  if (canonicalEmail(address) === undefined) return "is not an email address: write it as name@example.org";
  return isEmailAddress(address) ? undefined : `write it in lower case: ${address.toLowerCase()}`;
}
