/**
 * Where SMS may go: allowed countries and number types, per gateway. Premium-rate, shared-cost,
 * satellite and international-network numbers are refused by default: a message to one can cost
 * many times an ordinary SMS, and they are how a stolen account runs up a bill.
 *
 * Types come from libphonenumber-js with its "max" metadata (already what phone.ts parses with, so
 * no extra bundle); two families are told by their country calling code instead, because
 * libphonenumber calls them MOBILE or VOIP: satellite (+870 Inmarsat, +881 Global Mobile Satellite
 * System) and international networks (+882, +883; Thuraya is +88216). A number outside the
 * allocated ranges (accepted with `numberCheck: possible`) has type "unknown" and counts as the
 * main country of its calling code (+1: US). Results are cached per number (bounded).
 */
import type { NumberType } from "libphonenumber-js/max";
import { LimitRefusal } from "../../src/core/message-cost.js";
import { formatForHumans, parsedE164 } from "./phone.js";

export type DestinationType =
  | "fixed-line"
  | "mobile"
  | "fixed-line-or-mobile"
  | "toll-free"
  | "premium-rate"
  | "shared-cost"
  | "voip"
  | "personal-number"
  | "pager"
  | "uan"
  | "voicemail"
  | "satellite"
  | "international-network"
  | "unknown";

export interface DestinationRules {
  /** ISO 3166 regions ("001": non-geographic numbers such as +800, +881); empty: all. */
  readonly allowedCountries: readonly string[];
  /** Empty: every type not refused. */
  readonly allowedTypes: readonly DestinationType[];
  readonly refusedTypes: readonly DestinationType[];
}

/** What the gateway knows about a destination number. */
export interface Destination {
  readonly type: DestinationType;
  /** ISO region, or "001" for a calling code of no country (+800, +881, +979, ...). */
  readonly country: string;
}

const BY_CALLING_CODE: Readonly<Record<string, DestinationType>> = {
  "870": "satellite",
  "881": "satellite",
  "882": "international-network",
  "883": "international-network",
};

const TYPE_NAMES: Readonly<Record<Exclude<NumberType, undefined>, DestinationType>> = {
  FIXED_LINE: "fixed-line",
  MOBILE: "mobile",
  FIXED_LINE_OR_MOBILE: "fixed-line-or-mobile",
  TOLL_FREE: "toll-free",
  PREMIUM_RATE: "premium-rate",
  SHARED_COST: "shared-cost",
  VOIP: "voip",
  PERSONAL_NUMBER: "personal-number",
  PAGER: "pager",
  UAN: "uan",
  VOICEMAIL: "voicemail",
};

const WORDS: Readonly<Record<DestinationType, string>> = {
  "fixed-line": "a landline number",
  mobile: "a mobile number",
  "fixed-line-or-mobile": "a landline or mobile number",
  "toll-free": "a toll-free number",
  "premium-rate": "a premium-rate number",
  "shared-cost": "a shared-cost number",
  voip: "a VoIP number",
  "personal-number": "a personal (follow-me) number",
  pager: "a pager number",
  uan: "a company (UAN) number",
  voicemail: "a voicemail access number",
  satellite: "a satellite phone number",
  "international-network": "a number of an international network (+882/+883)",
  unknown: "a number outside the allocated ranges",
};

const known = new Map<string, Destination>();
const KNOWN_MAX = 10_000;

/** The type and country of an E.164 number (cached). */
export function classify(e164: string): Destination {
  const cached = known.get(e164);
  if (cached) return cached;
  const parsed = parsedE164(e164);
  let result: Destination = { type: "unknown", country: "001" };
  if (parsed) {
    const family = BY_CALLING_CODE[parsed.countryCallingCode];
    // With the "max" metadata a number is valid exactly when it has a type (libphonenumber's
    // isValid is getType() !== undefined there), so one type lookup answers both.
    const typed = parsed.getType();
    result = {
      type: family ?? (typed === undefined ? undefined : TYPE_NAMES[typed]) ?? "unknown",
      country: parsed.country ?? parsed.getPossibleCountries()[0] ?? "001",
    };
  }
  if (known.size >= KNOWN_MAX) known.clear();
  known.set(e164, result);
  return result;
}

const regionNames = new Intl.DisplayNames(["en"], { type: "region" });
const countryName = (region: string) => regionNames.of(region) ?? region;

/** The destination check of one gateway: throws policy-violation naming the type or country. */
export function destinationPolicy(rules: DestinationRules): (e164: string) => void {
  const countries = new Set(rules.allowedCountries);
  const allowed = new Set(rules.allowedTypes);
  const refused = new Set(rules.refusedTypes);
  const open = countries.size === 0 && allowed.size === 0 && refused.size === 0;
  return (e164) => {
    if (open) return;
    const d = classify(e164);
    const who = () => formatForHumans(e164);
    if (refused.has(d.type) || (allowed.size > 0 && !allowed.has(d.type))) {
      const plural = WORDS[d.type].replace(/^an? /, "").replace(/number/, "numbers");
      throw new LimitRefusal(
        "destination",
        "policy-violation",
        `${who()} is ${WORDS[d.type]}; this gateway does not send to ${plural}.`,
      );
    }
    if (countries.size > 0 && !countries.has(d.country)) {
      const where = d.country === "001" ? "an international number" : `a number in ${countryName(d.country)}`;
      const list = [...countries]
        .map((c) => (c === "001" ? "international numbers" : countryName(c)))
        .join(", ");
      throw new LimitRefusal(
        "destination",
        "policy-violation",
        `${who()} is ${where}; this gateway sends only to these countries: ${list}.`,
      );
    }
  };
}
