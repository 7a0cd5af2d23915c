/**
 * Twilio error tables and the mapping from what a send can throw to the gateway's
 * PermanentError / RetryableError, plus readable reasons for delivery-report error codes.
 *
 * XMPP conditions chosen for permanent send errors (RFC 6120 section 8.3.3):
 * - "item-not-found" for 21211: the 'To' number does not exist as a phone number, the closest to
 *   "the addressed JID cannot be found".
 * - "not-acceptable" for what the recipient's number or the message itself cannot take: 21614 and
 *   21635 (the number exists but cannot receive SMS), 21408, 21606, 21612, 21608, 21617, 21602,
 *   21619, and any 4xx not in the table.
 * - "forbidden" for 21610: the recipient opted out (replied STOP) and refuses this sender; thrown
 *   as OptedOutError so the gateway records the opt-out and stops sending until START.
 * - "internal-server-error" for 20003 / HTTP 401 and 20404 on the account: the gateway's own
 *   credentials or configuration are wrong ("a misconfiguration ... prevents it from processing the
 *   stanza"); the sender cannot fix it, the operator must.
 */
import type { RefusalCondition } from "../../src/core/errors.js";
import {
  type HttpFailure,
  type ProviderErrorTable,
  parseRetryAfter,
  type SendErrorInfo,
  type SendErrors,
  sendErrors,
} from "../provider-kit/index.js";
import { TWILIO_FLAVOUR, type TwilioFlavour } from "./flavour.js";

/**
 * Twilio error codes a message send can answer with (4xx), and how the gateway reports them; the
 * hints name the flavour's provider, account and console (SignalWire answers the same codes).
 */
export function sendErrorTable(f: TwilioFlavour): Readonly<Record<number, SendErrorInfo>> {
  return {
    ...SHARED_SEND_ERRORS,
    20003: {
      reason: "authentication failed",
      hint: `the gateway's ${f.name} credentials were rejected; the operator must fix them`,
      condition: "internal-server-error",
    },
    20404: {
      reason: "the requested resource was not found",
      hint: `check the gateway's ${f.name} ${f.accountFields}`,
      condition: "internal-server-error",
    },
    21408: {
      reason: "sending to the region of the 'To' number is not enabled",
      hint: `the operator can enable it in ${f.console}`,
      condition: "not-acceptable",
    },
    21608: {
      reason: "the 'To' number is not verified for this trial account",
      hint: `a ${f.name} trial account can only send to verified numbers`,
      condition: "not-acceptable",
    },
  };
}

/** The codes whose texts are the same for every flavour. */
const SHARED_SEND_ERRORS: Readonly<Record<number, SendErrorInfo>> = {
  21211: { reason: "invalid 'To' number", condition: "item-not-found" },
  21602: { reason: "the message body is required", condition: "not-acceptable" },
  21606: {
    reason: "the 'From' number cannot send messages to this destination",
    condition: "not-acceptable",
  },
  21610: {
    reason: "the recipient has opted out (replied STOP)",
    hint: "the recipient replied STOP; they can text START to receive messages again",
    condition: "forbidden",
  },
  21612: {
    reason: "the 'To' number cannot be reached from the 'From' number",
    condition: "not-acceptable",
  },
  21614: { reason: "the 'To' number is not a mobile number", condition: "not-acceptable" },
  21617: { reason: "the message body is too long (over 1600 characters)", condition: "not-acceptable" },
  21619: { reason: "a message needs a body or media", condition: "not-acceptable" },
  21635: { reason: "the 'To' number is a landline and cannot receive SMS", condition: "not-acceptable" },
};

/** Twilio's own table. */
export const SEND_ERRORS = sendErrorTable(TWILIO_FLAVOUR);

/** Twilio codes that mean "slow down and try again", whatever the HTTP status. */
const RETRYABLE_CODES: ReadonlySet<number> = new Set([20429]);

/** Delivery-report error codes (status callbacks, ErrorCode) and what they mean. */
export const DELIVERY_ERRORS: Readonly<Record<number, string>> = {
  30001: "queue overflow: too many messages were queued for the sending number",
  30002: "the Twilio account is suspended",
  30003: "unreachable destination handset (switched off or out of coverage)",
  30004: "message blocked (by the recipient or their carrier)",
  30005: "unknown destination handset: the number is unknown or no longer active",
  30006: "landline or unreachable carrier",
  30007: "message filtered by the carrier (spam or content violation)",
  30008: "unknown error from the carrier",
  30034: "message from a US number not registered for A2P 10DLC",
  30500: "internal error at Twilio",
};

/**
 * XMPP condition of a failed delivery: recipient-unavailable (wait) for a handset that is off or
 * out of coverage, item-not-found for an unknown number, policy-violation for blocked or filtered
 * messages, not-acceptable for a landline, undefined-condition otherwise.
 */
export function deliveryErrorCondition(code: string | undefined): RefusalCondition {
  switch (Number(code)) {
    case 30003:
      return "recipient-unavailable";
    case 30005:
      return "item-not-found";
    case 30004:
    case 30007:
    case 30034:
      return "policy-violation";
    case 30006:
      return "not-acceptable";
    case 21610:
      return "forbidden";
    default:
      return "undefined-condition";
  }
}

/** Readable reason of a delivery report: `Twilio error 30003: unreachable destination handset ...`. */
export function describeDeliveryError(
  code: string | undefined,
  status: string,
  flavour: TwilioFlavour = TWILIO_FLAVOUR,
): string {
  if (code === undefined) {
    return `${flavour.name} reports the message as ${status}`;
  }
  const known = DELIVERY_ERRORS[Number(code)];
  if (known !== undefined) return `${flavour.name} error ${code}: ${known}`;
  const docs = flavour.errorDocsUrl === undefined ? "" : ` (see ${flavour.errorDocsUrl}${code})`;
  return `${flavour.name} error ${code}: message ${status}${docs}`;
}

/** Reads `status`, `code` and a message off an error the SDK itself built (RestException & co). */
function sdkFailure(err: object): HttpFailure | undefined {
  const rec = err as Record<string, unknown>;
  if (typeof rec.status !== "number") return undefined;
  const text = [rec.message, rec.detail, rec.title].find(
    (v): v is string => typeof v === "string" && v.length > 0 && !v.startsWith("[HTTP "),
  );
  return {
    status: rec.status,
    ...(typeof rec.code === "number" ? { code: rec.code } : {}),
    ...(text === undefined ? {} : { providerMessage: text }),
  };
}

/** Twilio's answers as the provider kit maps them (SignalWire's LaML API answers the same codes). */
const TWILIO_ERRORS: Omit<ProviderErrorTable, "name" | "sendErrors"> = {
  retryableCodes: RETRYABLE_CODES,
  optOutCode: 21610,
  // A 401 without a body is still an authentication failure.
  codeOfStatus: { 401: 20003 },
  retryAfterMs: parseRetryAfter,
  failureOf: sdkFailure,
};

/** The mapping of send failures for Twilio or a flavour of it, its texts naming the flavour. */
export function twilioSendErrors(flavour: TwilioFlavour = TWILIO_FLAVOUR): SendErrors {
  return sendErrors({ ...TWILIO_ERRORS, name: flavour.name, sendErrors: sendErrorTable(flavour) });
}

/**
 * Turns anything a Twilio send threw into PermanentError or RetryableError (provider kit): errors
 * already of those types pass through; HTTP answers (the HTTP client's and the SDK's own) are
 * mapped by status and code; network failures and anything unrecognised are retryable.
 */
export const { mapHttpFailure, toSendError } = twilioSendErrors();
