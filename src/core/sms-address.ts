/** SMS addresses <-> JID localparts, shared by every SMS-like adapter. */
import { escapeLocalpart, unescapeLocalpart } from "./localpart.js";
import { isE164, type PhoneOptions, toE164 } from "./phone.js";

/** JID localpart -> E.164; throws AddressError (jid-malformed) when it is not a phone number. */
export function parseSmsLocalpart(localpart: string, options: PhoneOptions): string {
  return toE164(unescapeLocalpart(localpart), options);
}

/**
 * Network address -> JID localpart. E.164 numbers are valid localparts as they are; short codes
 * and alphanumeric sender ids are XEP-0106 escaped (surrounding spaces dropped first).
 */
export function formatSmsAddress(address: string): string {
  return isE164(address) ? address : escapeLocalpart(address.trim());
}
