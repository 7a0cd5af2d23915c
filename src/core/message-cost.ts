/**
 * What one message costs and whether the gateway takes it: the text actually sent (corrections
 * marked), its parts and their SMS segments, checked against the gateway's per-message caps. The
 * intake runs it before anything is queued; the worker runs it again on every job, so a job
 * queued before the caps were tightened fails instead of running up the bill.
 *
 * The cheap check comes first: a body over maxBodyLength is refused before it is split, so a
 * huge stanza costs a length comparison.
 */
import { Refusal, type RefusalCondition } from "./errors.js";
import { countSegments, splitText } from "./segments.js";

export interface MessageCaps {
  /** Longest body, in characters (UTF-16 code units). */
  readonly maxBodyLength: number;
  /** Most provider messages one message may become. */
  readonly maxParts: number;
  /** Most SMS segments one message may cost, over all its parts. */
  readonly maxSegments: number;
}

export interface MessageRules {
  readonly caps: MessageCaps;
  /** A body longer than one provider message: split it into parts, or refuse it. */
  readonly longMessages: "split" | "refuse";
  /** XEP-0308 corrections: send them marked, or refuse them. */
  readonly corrections: "send" | "refuse";
}

export interface PlannedMessage {
  readonly parts: string[];
  /** SMS segments of all parts together (0 for a message with media only). */
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

export const CORRECTION_PREFIX = "Correction: ";

/** A number as people read it: 250000 -> "250,000". */
export const inWords = (n: number): string => n.toLocaleString("en-US");

const plural = (n: number, one: string, many = `${one}s`) => `${inWords(n)} ${n === 1 ? one : many}`;

/**
 * The parts to send for `body` (a correction of `replaces` when given) and their segments, or a
 * Refusal saying which rule or cap it breaks. `maxPartLength` is the adapter's limit per message.
 */
export function planMessage(
  body: string,
  replaces: string | undefined,
  maxPartLength: number,
  rules: MessageRules,
): PlannedMessage {
  let text = body;
  if (replaces !== undefined) {
    if (rules.corrections === "refuse") {
      throw new Refusal(
        "feature-not-implemented",
        "Corrections cannot be sent as SMS on this gateway: a text message cannot be edited once sent. Send a new message instead.",
      );
    }
    if (text.length > 0) text = `${CORRECTION_PREFIX}${text}`;
  }
  const { caps } = rules;
  if (text.length > caps.maxBodyLength) {
    throw new LimitRefusal(
      "body-length",
      "not-acceptable",
      `The message is ${plural(text.length, "character")} long; this gateway sends at most ${plural(caps.maxBodyLength, "character")} (${plural(caps.maxParts, "part")}) per message. Shorten it or send it in several messages.`,
    );
  }
  if (text.length > maxPartLength && rules.longMessages === "refuse") {
    throw new Refusal(
      "not-acceptable",
      `The message is ${text.length} characters long; this gateway sends at most ${maxPartLength} characters per message. Shorten it or send it in several messages.`,
    );
  }
  const parts = text.length <= maxPartLength ? [text] : splitText(text, maxPartLength);
  if (parts.length > caps.maxParts) {
    throw new LimitRefusal(
      "parts",
      "not-acceptable",
      `The message would go out as ${inWords(parts.length)} text messages; this gateway sends at most ${plural(caps.maxParts, "part")} of ${inWords(maxPartLength)} characters per message. Shorten it or send it in several messages.`,
    );
  }
  let segments = 0;
  let unicode = false;
  for (const part of parts) {
    const info = countSegments(part);
    segments += info.segments;
    unicode ||= info.encoding === "UCS-2";
  }
  if (segments > caps.maxSegments) {
    const why = unicode
      ? " (characters outside the GSM alphabet, such as emoji, make a segment hold 67 characters instead of 153)"
      : "";
    throw new LimitRefusal(
      "segments",
      "not-acceptable",
      `The message costs ${plural(segments, "SMS segment")}${why}; this gateway sends at most ${plural(caps.maxSegments, "segment")} per message. Shorten it or send it in several messages.`,
    );
  }
  return { parts, segments };
}
