/**
 * Phone numbers: turning what people type or what a JID localpart holds into E.164, with
 * libphonenumber-js. Shared by every SMS-like adapter and by XEP-0100 lookups.
 */
import { type CountryCode, PhoneNumber, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { AddressError } from "../../src/core/errors.js";

export type NumberCheck = "possible" | "valid";

export interface PhoneOptions {
  /** Region for numbers written without a country code, e.g. "US". */
  readonly defaultRegion?: string;
  /**
   * "possible": the length fits the country (accepts fictional 555 numbers and ranges newer than
   * the metadata); "valid": the number also lies in an allocated range.
   */
  readonly check: NumberCheck;
}

/**
 * Numbers parsed most recently, by E.164 form: the destination check (destination-policy.ts) of
 * a message classifies the number its address was just parsed into, and parsing is most of what
 * either costs. Bounded: started afresh when full.
 */
const recent = new Map<string, PhoneNumber>();
const RECENT_MAX = 1_000;

/** The parsed form of an E.164 number, from the recent parses when it is there. */
export function parsedE164(e164: string): PhoneNumber | undefined {
  return recent.get(e164) ?? parsePhoneNumberFromString(e164);
}

/** Returns the E.164 form of `input`, or throws AddressError saying why it is not a number. */
export function toE164(input: string, options: PhoneOptions): string {
  const text = input.trim();
  if (text.length === 0 || text.length > 40 || !/^[+\d\s().\-/]+$/.test(text)) {
    throw new AddressError(`"${clip(input)}" is not a phone number`);
  }
  const parsed = parsePhoneNumberFromString(text, options.defaultRegion as CountryCode | undefined);
  if (!parsed) {
    throw new AddressError(
      text.startsWith("+") || !options.defaultRegion
        ? `"${clip(input)}" is not a phone number in international form (+<country code><number>)`
        : `"${clip(input)}" is not a phone number of region ${options.defaultRegion}`,
    );
  }
  const ok = options.check === "valid" ? parsed.isValid() : parsed.isPossible();
  if (!ok) {
    throw new AddressError(`"${clip(input)}" is not a ${options.check} phone number (${parsed.number})`);
  }
  if (recent.size >= RECENT_MAX) recent.clear();
  recent.set(parsed.number, parsed);
  return parsed.number;
}

/** Whether a string is already a canonical E.164 number ("+" and 2 to 15 digits). */
export function isE164(s: string): boolean {
  return /^\+[1-9]\d{1,14}$/.test(s);
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/**
 * A number as people write it ("+1 555 765 4321"); anything that is not E.164 stays as it is.
 *
 * Formatted by the numbering plan of its calling code, as libphonenumber formats every number,
 * without the region detection a parse does first: for +1 that tries the patterns of some 25
 * countries, and it was 6% of the gateway's samples while 5,000 new numbers texted in (a
 * contact's nickname is this, once per contact). Built this way it costs a seventh as much and
 * reads the same for every canonical number; it differs only where a trunk "0" follows the
 * calling code, which a parse drops (showing another number than the one written).
 */
export function formatForHumans(address: string): string {
  if (!isE164(address)) return address;
  try {
    const number = new PhoneNumber(address);
    // A parse finds no number in fewer than 2 national digits ("+12"): left as written.
    return number.nationalNumber.length >= 2 ? number.formatInternational() : address;
  } catch {
    return address; // no such calling code
  }
}

/** Why a configured `number` is not one the gateway would accept with `check`, or undefined. */
export function configNumberProblem(
  number: string,
  gateway: { numberCheck: NumberCheck },
): string | undefined {
  if (!isE164(number)) return 'must be an E.164 number, e.g. "+15550001111" (quoted)';
  try {
    const e164 = toE164(number, { check: gateway.numberCheck });
    return e164 === number ? undefined : `write it as ${e164}`;
  } catch (err) {
    return `${(err as Error).message} (numberCheck: ${gateway.numberCheck})`;
  }
}
