/**
 * What one message costs and whether the gateway takes it: the text actually sent (corrections
 * marked), its parts and their billable units (SMS segments), checked against the gateway's
 * per-message caps. How text is split and counted is the network's TextCapability; a network
 * without one sends a message as one part, of at most the adapter's maxBodyLength. The
 * intake runs it before anything is queued; the worker runs it again on every job, so a job
 * queued before the caps were tightened fails instead of running up the bill.
 *
 * The cheap check comes first: a body over maxBodyLength is refused before it is split, so a
 * huge stanza costs a length comparison.
 */
import type { CorrectionCapability, TextCapability } from "./adapter.js";
import { Refusal, type RefusalCondition } from "./errors.js";

export interface MessageCaps {
  /** Longest body, in characters (UTF-16 code units). */
  readonly maxBodyLength: number;
  /** Most provider messages one message may become. */
  readonly maxParts: number;
  /** Most billable units (SMS segments) one message may cost, over all its parts. */
  readonly maxSegments: number;
}

export interface MessageRules {
  readonly caps: MessageCaps;
  /** A body longer than one provider message: split it into parts, or refuse it. */
  readonly longMessages: "split" | "refuse";
  /** XEP-0308 corrections: send them marked, or refuse them. */
  readonly corrections: "send" | "refuse";
}

/** What the network does with text: split and count it, mark corrections (both optional). */
export interface TextNetwork {
  /** Shown in refusals, e.g. "SMS". */
  readonly networkName: string;
  readonly text?: TextCapability;
  readonly corrections?: CorrectionCapability;
}

export interface PlannedMessage {
  readonly parts: string[];
  /** Billable units (SMS segments) of all parts together (0 for a message with media only). */
  readonly segments: number;
}

/** Which cap a message broke (the metric label). */
export type CapName = "body-length" | "parts" | "segments";

/** A refusal because of a configured limit; `limit` names it for metrics and logs. */
export class LimitRefusal extends Refusal {
  override readonly name = "LimitRefusal";
  constructor(
    readonly limit: string,
    condition: RefusalCondition,
    message: string,
  ) {
    super(condition, message);
  }
}

/** A number as people read it: 250000 -> "250,000". */
export const inWords = (n: number): string => n.toLocaleString("en-US");

const plural = (n: number, one: string, many = `${one}s`) => `${inWords(n)} ${n === 1 ? one : many}`;

/**
 * The parts to send for `body` (a correction of `replaces` when given) and their units, or a
 * Refusal saying which rule or cap it breaks. `maxPartLength` is the adapter's limit per message.
 */
export function planMessage(
  body: string,
  replaces: string | undefined,
  maxPartLength: number,
  rules: MessageRules,
  net: TextNetwork,
): PlannedMessage {
  const text = replaces === undefined ? body : correction(body, rules, net);
  const { caps } = rules;
  if (text.length > caps.maxBodyLength) {
    throw new LimitRefusal(
      "body-length",
      "not-acceptable",
      `The message is ${plural(text.length, "character")} long; this gateway sends at most ${plural(caps.maxBodyLength, "character")} (${plural(caps.maxParts, "part")}) per message. Shorten it or send it in several messages.`,
    );
  }
  const splitter = net.text;
  if (text.length > maxPartLength && (rules.longMessages === "refuse" || splitter === undefined)) {
    throw new Refusal(
      "not-acceptable",
      `The message is ${text.length} characters long; this gateway sends at most ${maxPartLength} characters per message. Shorten it or send it in several messages.`,
    );
  }
  if (splitter === undefined) return { parts: [text], segments: text.length > 0 ? 1 : 0 };
  const parts = text.length <= maxPartLength ? [text] : splitter.split(text, maxPartLength);
  if (parts.length > caps.maxParts) {
    throw new LimitRefusal(
      "parts",
      "not-acceptable",
      `The message would go out as ${inWords(parts.length)} ${splitter.partName}s; this gateway sends at most ${plural(caps.maxParts, "part")} of ${inWords(maxPartLength)} characters per message. Shorten it or send it in several messages.`,
    );
  }
  return { parts, segments: checkUnits(parts, caps, splitter) };
}

/** The text a correction sends (marked when the network marks them), or the refusal. */
function correction(body: string, rules: MessageRules, net: TextNetwork): string {
  if (rules.corrections === "refuse") {
    const why = net.corrections?.whyNot ?? "a message cannot be edited once sent";
    throw new Refusal(
      "feature-not-implemented",
      `Corrections cannot be sent as ${net.networkName} on this gateway: ${why}. Send a new message instead.`,
    );
  }
  return body.length > 0 && net.corrections ? net.corrections.mark(body) : body;
}

/** The units of all parts together; a LimitRefusal when they are over the cap. */
function checkUnits(parts: readonly string[], caps: MessageCaps, text: TextCapability): number {
  let units = 0;
  let costlier = false;
  for (const part of parts) {
    const info = text.units(part);
    units += info.count;
    costlier ||= info.costlier;
  }
  if (units > caps.maxSegments) {
    const why = costlier && text.costlierWhy ? ` (${text.costlierWhy})` : "";
    throw new LimitRefusal(
      "segments",
      "not-acceptable",
      `The message costs ${plural(units, text.unitName)}${why}; this gateway sends at most ${plural(caps.maxSegments, text.unitShortName)} per message. Shorten it or send it in several messages.`,
    );
  }
  return units;
}
