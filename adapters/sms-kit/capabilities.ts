/**
 * The SMS kit's capabilities, as an SMS adapter exposes them: text split into parts billed per
 * segment, STOP / START keywords, corrections marked in the text, and the destination policy.
 */
import type {
  CorrectionCapability,
  DestinationCapability,
  OptOutCapability,
  TextCapability,
} from "../../src/core/adapter.js";
import { type DestinationRules, destinationPolicy } from "./destination-policy.js";
import { optedOutText, optOutKeyword } from "./optout.js";
import { countSegments, splitText } from "./segments.js";

export const smsText: TextCapability = {
  split: splitText,
  units(part) {
    const info = countSegments(part);
    return { count: info.segments, costlier: info.encoding === "UCS-2" };
  },
  unitName: "SMS segment",
  unitShortName: "segment",
  partName: "text message",
  costlierWhy:
    "characters outside the GSM alphabet, such as emoji, make a segment hold 67 characters instead of 153",
};

export const smsOptOut: OptOutCapability = { keyword: optOutKeyword, optedOutText };

export const CORRECTION_PREFIX = "Correction: ";

export const smsCorrections: CorrectionCapability = {
  mark: (text) => `${CORRECTION_PREFIX}${text}`,
  whyNot: "a text message cannot be edited once sent",
};

/** The destination policy of `rules` (premium-rate, satellite, countries) as a capability. */
export function smsDestinations(rules: DestinationRules | undefined): DestinationCapability | undefined {
  if (rules === undefined) return undefined;
  const check = destinationPolicy(rules);
  return { checkDestination: check };
}
