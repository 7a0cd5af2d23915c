/**
 * The network-specific rules the pipeline applies, in one object handed to it: how a body becomes
 * parts (and what it costs), which inbound texts are opt-out keywords, what a sender is told about
 * an opted-out recipient, and how an address is shown to people. `rulesFor` reads them from the
 * adapter's optional capabilities: a network without `text` sends one part, one without `optOut`
 * never opts anyone out (an email saying "Stop" is just an email).
 */
import type { NetworkAdapter } from "../adapter.js";
import { type MessageRules, type PlannedMessage, planMessage } from "../message-cost.js";

export type OptOutAction = "stop" | "start";

export interface NetworkRules {
  /** The parts to send and their cost, or a Refusal (message-cost.ts). */
  plan(
    body: string,
    replaces: string | undefined,
    maxPartLength: number,
    rules: MessageRules,
  ): PlannedMessage;
  /** STOP / START, when an inbound body is one of the network's keywords. */
  optOutKeyword(body: string): OptOutAction | undefined;
  /** What the sender reads when `recipient` opted out of messages from `sender`. */
  optedOutText(recipient: string, sender: string): string;
  /** An address as people read it (a contact's nickname). */
  displayName(address: string): string;
}

/** The rules of a network with no optional capability: one part, no keywords. */
export const plainRules: NetworkRules = {
  plan: (body, replaces, maxPartLength, rules) =>
    planMessage(body, replaces, maxPartLength, rules, { networkName: "this network" }),
  optOutKeyword: () => undefined,
  optedOutText: (recipient, sender) =>
    `${recipient} has opted out of messages from ${sender}; nothing was sent.`,
  displayName: (address) => address,
};

/** The rules for the network behind `adapter`, from its capabilities. */
export function rulesFor(
  adapter: Pick<NetworkAdapter, "face" | "text" | "corrections" | "optOut">,
): NetworkRules {
  const { face, text, corrections, optOut } = adapter;
  const net = {
    networkName: face.networkName,
    ...(text ? { text } : {}),
    ...(corrections ? { corrections } : {}),
  };
  return {
    plan: (body, replaces, maxPartLength, rules) => planMessage(body, replaces, maxPartLength, rules, net),
    optOutKeyword: optOut ? (body) => optOut.keyword(body) : plainRules.optOutKeyword,
    optedOutText: optOut ? (r, s) => optOut.optedOutText(r, s) : plainRules.optedOutText,
    displayName: face.formatForHumans ? (a) => face.formatForHumans?.(a) ?? a : plainRules.displayName,
  };
}
