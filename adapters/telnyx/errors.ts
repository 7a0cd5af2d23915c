/**
 * Telnyx error tables: what a send's failure becomes (PermanentError / OptedOutError /
 * RetryableError, with the XMPP condition and a readable text), and the reasons of failed
 * delivery reports (`message.finalized` with `errors[]`).
 *
 * Conditions (RFC 6120 8.3.3): a number that is not one, or not written as +E.164, is
 * `jid-malformed`; one that is well formed but does not exist or cannot be sent to is
 * `item-not-found`; a recipient who replied STOP `forbidden` (and the opt-out is recorded);
 * a `from` the account may not send from `not-authorized`; the gateway's own API key refused
 * `internal-server-error` (the sender cannot fix it; the operator is told in the log).
 */
import type { RefusalCondition } from "../../src/core/errors.js";
import { type SendErrorInfo, sendErrors } from "../provider-kit/index.js";

/** Telnyx error codes a POST /v2/messages can answer with, and how the gateway reports them. */
export const SEND_ERRORS: Readonly<Record<number, SendErrorInfo>> = {
  10002: { reason: "invalid phone number", condition: "item-not-found" },
  10009: {
    reason: "authentication failed",
    hint: "the gateway's Telnyx API key was refused; the operator must fix it",
    condition: "internal-server-error",
  },
  10016: { reason: "the phone number must be in +E.164 format", condition: "jid-malformed" },
  40300: {
    reason: "the recipient has opted out (replied STOP)",
    hint: "the recipient replied STOP; they can text START to receive messages again",
    condition: "forbidden",
  },
  40305: {
    reason: "invalid 'from' address",
    hint: "the sending number is not one this Telnyx account may send from",
    condition: "not-authorized",
  },
  40310: { reason: "invalid 'to' address", condition: "item-not-found" },
};

/** Codes that mean "slow down and try again", whatever the HTTP status. */
const RETRYABLE_CODES: ReadonlySet<number> = new Set([10011]);

/** Codes that mean the operator's configuration is wrong: logged as errors for them. */
export const OPERATOR_CODES: ReadonlySet<number> = new Set([10009]);

/** Delivery-report error codes (`errors[].code` of message.finalized) and what they mean. */
export const DELIVERY_ERRORS: Readonly<Record<number, { text: string; condition: RefusalCondition }>> = {
  40001: {
    text: "the recipient is a landline or a number that cannot receive SMS",
    condition: "not-acceptable",
  },
  40002: { text: "blocked as spam (temporarily)", condition: "policy-violation" },
  40003: { text: "blocked as spam", condition: "policy-violation" },
  40004: { text: "rejected by the destination carrier", condition: "policy-violation" },
  40005: { text: "the message expired before it could be delivered", condition: "recipient-unavailable" },
  40006: { text: "the recipient's network is unavailable", condition: "recipient-unavailable" },
  40008: { text: "the message is undeliverable", condition: "item-not-found" },
  40012: { text: "invalid destination number", condition: "item-not-found" },
  40300: { text: "the recipient has opted out (replied STOP)", condition: "forbidden" },
};

/** XMPP condition of a failed delivery by its first error code (undefined-condition when unknown). */
export function deliveryErrorCondition(code: string | undefined): RefusalCondition {
  return DELIVERY_ERRORS[Number(code)]?.condition ?? "undefined-condition";
}

/** `Telnyx error 40001: the recipient is a landline ...`, or Telnyx's own title for other codes. */
export function describeDeliveryError(code: string | undefined, status: string, title?: string): string {
  if (code === undefined) return `Telnyx reports the message as ${status}`;
  const known = DELIVERY_ERRORS[Number(code)]?.text ?? title;
  return known === undefined ? `Telnyx error ${code}: message ${status}` : `Telnyx error ${code}: ${known}`;
}

/**
 * `x-ratelimit-reset` as milliseconds from `now`: seconds until the window resets, or (a value
 * past 10^9) the Unix time in seconds it resets at. Undefined when absent or unreadable.
 */
export function parseRateLimitReset(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  const n = Number(value);
  if (n > 1e9) return Math.max(0, n * 1000 - now);
  return n * 1000;
}

/**
 * Anything a send threw -> PermanentError or RetryableError (provider kit; network failures are
 * retryable). An answer without a code is 10009 when it is a 401 and 10011 when it is a 429.
 */
export const { mapHttpFailure, toSendError } = sendErrors({
  name: "Telnyx",
  sendErrors: SEND_ERRORS,
  retryableCodes: RETRYABLE_CODES,
  optOutCode: 40300,
  codeOfStatus: { 401: 10009, 429: 10011 },
  retryAfterMs: parseRateLimitReset,
});
