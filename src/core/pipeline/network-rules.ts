/**
 * The network-specific rules the pipeline applies, in one object handed to it: how a body becomes
 * parts (and what it costs), which inbound texts are opt-out keywords, what a sender is told about
 * an opted-out recipient, and how an address is shown to people. Today every network gets the SMS
 * rules; `rulesFor` is the one place that will read them from an adapter's capabilities instead.
 */
import type { NetworkAdapter } from "../adapter.js";
import { type MessageRules, type PlannedMessage, planMessage } from "../message-cost.js";
import { type OptOutAction, optedOutText, optOutKeyword } from "../optout.js";
import { formatForHumans } from "../phone.js";

export interface NetworkRules {
  /** The parts to send and their cost, or a Refusal (message-cost.ts). */
  plan(
    body: string,
    replaces: string | undefined,
    maxPartLength: number,
    rules: MessageRules,
  ): PlannedMessage;
  /** STOP / START, when an inbound body is one of the keywords. */
  optOutKeyword(body: string): OptOutAction | undefined;
  /** What the sender reads when `recipient` opted out of messages from `sender`. */
  optedOutText(recipient: string, sender: string): string;
  /** An address as people read it (a contact's nickname). */
  displayName(address: string): string;
}

export const smsRules: NetworkRules = {
  plan: planMessage,
  optOutKeyword,
  optedOutText,
  displayName: formatForHumans,
};

/** The rules for the network behind `adapter`. */
export function rulesFor(_adapter: NetworkAdapter): NetworkRules {
  return smsRules;
}
