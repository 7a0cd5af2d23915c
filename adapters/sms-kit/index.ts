/**
 * The SMS kit: what SMS adapters (Twilio, the simulator, Telnyx, ...) compose, so the core holds
 * no rule of SMS. One job per file:
 * - phone.ts: E.164 numbers (libphonenumber), and how people read them;
 * - sms-address.ts: JID localpart <-> number, and a JID for any other sender id;
 * - segments.ts: GSM-7 / UCS-2 segment counting and splitting;
 * - optout.ts: STOP / START keywords;
 * - destination-policy.ts: premium-rate, satellite and country rules;
 * - capabilities.ts: the above as the adapter contract's capabilities; face.ts: the SMS face;
 * - pacing.ts: the pace of a long code, the SMS adapters' default pacing per sender number.
 */
export {
  CORRECTION_PREFIX,
  smsCorrections,
  smsDestinations,
  smsOptOut,
  smsText,
} from "./capabilities.js";
export { type DestinationRules, destinationPolicy } from "./destination-policy.js";
export { smsFace } from "./face.js";
export { LONG_CODE_PACE } from "./pacing.js";
export {
  configNumberProblem,
  formatForHumans,
  isE164,
  type NumberCheck,
  type PhoneOptions,
  toE164,
} from "./phone.js";
export { formatSmsAddress, parseSmsLocalpart } from "./sms-address.js";

import type { NetworkAdapter } from "../../src/core/adapter.js";
import { rulesFor } from "../../src/core/pipeline/network-rules.js";
import { smsCorrections, smsDestinations, smsOptOut, smsText } from "./capabilities.js";
import type { DestinationRules } from "./destination-policy.js";
import { smsFace } from "./face.js";

/** What every SMS adapter exposes from the kit: its face, text, opt-out, corrections, destinations. */
export function smsCapabilities(
  destinations?: DestinationRules,
): Pick<NetworkAdapter, "face" | "text" | "optOut" | "corrections" | "destinations"> {
  const checked = smsDestinations(destinations);
  return {
    face: smsFace,
    text: smsText,
    optOut: smsOptOut,
    corrections: smsCorrections,
    ...(checked ? { destinations: checked } : {}),
  };
}

/** The pipeline's rules for an SMS network, as `rulesFor` reads them from these capabilities. */
export const smsRules = rulesFor(smsCapabilities());
