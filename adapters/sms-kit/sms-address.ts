/** SMS addresses <-> JID localparts, shared by every SMS-like adapter. */
import { unescapeLocalpart } from "../../src/core/localpart.js";
import { jidSafeLocalpart } from "../../src/core/localpart-chars.js";
import { isE164, type PhoneOptions, toE164 } from "./phone.js";

/** Localparts parsed before, by options: people write to the same few numbers over and over. */
const parsed = new Map<string, string>();
const PARSED_MAX = 10_000;

/**
 * JID localpart -> E.164; throws AddressError (jid-malformed) when it is not a phone number.
 * Numbers that parsed are remembered (bounded), so libphonenumber runs once per contact, not once
 * per message.
 */
export function parseSmsLocalpart(localpart: string, options: PhoneOptions): string {
  const key = `${options.defaultRegion ?? ""}\n${options.check}\n${localpart}`;
  const known = parsed.get(key);
  if (known !== undefined) return known;
  const number = toE164(unescapeLocalpart(localpart), options);
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(key, number);
  return number;
}

/**
 * Network address -> JID localpart. E.164 numbers are valid localparts as they are; short codes
 * and alphanumeric sender ids are XEP-0106 escaped (surrounding spaces dropped first), and what no
 * JID can hold is replaced (see localpart-chars.ts), so any sender yields a JID the server takes.
 */
export function formatSmsAddress(address: string): string {
  return isE164(address) ? address : jidSafeLocalpart(address);
}
