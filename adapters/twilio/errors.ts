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
import {
  OptedOutError,
  PermanentError,
  type RefusalCondition,
  RetryableError,
} from "../../src/core/errors.js";

/** An HTTP answer of 400 or more from the REST API, as captured by the adapter's HTTP client. */
export class TwilioHttpError extends Error {
  override readonly name = "TwilioHttpError";
  constructor(
    readonly status: number,
    /** Twilio's error code from the body (`code`), when there was one. */
    readonly code: number | undefined,
    /** Twilio's own error text (`message`, or `detail`/`title` in RFC 9457 bodies). */
    readonly providerMessage: string | undefined,
    /** The raw Retry-After header, when present. */
    readonly retryAfter: string | undefined,
  ) {
    super(`Twilio answered HTTP ${status}${code === undefined ? "" : ` (error ${code})`}`);
  }
}

/** The request never got an HTTP answer: refused, reset, timed out, DNS failure... */
export class TwilioNetworkError extends Error {
  override readonly name = "TwilioNetworkError";
  constructor(
    message: string,
    /** The network error code, e.g. ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT (no answer in time). */
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

interface SendErrorInfo {
  /** Readable reason, used when Twilio's answer carries no text of its own. */
  readonly reason: string;
  /** What the sender or operator should know beyond Twilio's text; always appended. */
  readonly hint?: string;
  readonly condition: RefusalCondition;
}

/** Twilio error codes a message send can answer with (4xx), and how the gateway reports them. */
export const SEND_ERRORS: Readonly<Record<number, SendErrorInfo>> = {
  20003: {
    reason: "authentication failed",
    hint: "the gateway's Twilio credentials were rejected; the operator must fix them",
    condition: "internal-server-error",
  },
  20404: {
    reason: "the requested resource was not found",
    hint: "check the gateway's Twilio account SID and API base URL",
    condition: "internal-server-error",
  },
  21211: { reason: "invalid 'To' number", condition: "item-not-found" },
  21408: {
    reason: "sending to the region of the 'To' number is not enabled",
    hint: "the operator can enable it in the Twilio console (Messaging geographic permissions)",
    condition: "not-acceptable",
  },
  21602: { reason: "the message body is required", condition: "not-acceptable" },
  21606: {
    reason: "the 'From' number cannot send messages to this destination",
    condition: "not-acceptable",
  },
  21608: {
    reason: "the 'To' number is not verified for this trial account",
    hint: "a Twilio trial account can only send to verified numbers",
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
export function describeDeliveryError(code: string | undefined, status: string): string {
  if (code === undefined) {
    return `Twilio reports the message as ${status}`;
  }
  const known = DELIVERY_ERRORS[Number(code)];
  return known === undefined
    ? `Twilio error ${code}: message ${status} (see https://www.twilio.com/docs/api/errors/${code})`
    : `Twilio error ${code}: ${known}`;
}

/**
 * Parses a Retry-After header (delay in seconds, or an HTTP date) into milliseconds from `now`.
 * Returns undefined when absent or unreadable; a date in the past gives 0.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The text users see: `Twilio error 21211: <Twilio's message or ours>[ (hint)]`. */
function permanentText(
  code: number | undefined,
  status: number,
  providerMessage: string | undefined,
): string {
  const info = code === undefined ? undefined : SEND_ERRORS[code];
  const head = code === undefined ? `Twilio error (HTTP ${status})` : `Twilio error ${code}`;
  const text = providerMessage ?? info?.reason ?? `request refused with HTTP ${status}`;
  return info?.hint === undefined ? `${head}: ${text}` : `${head}: ${text} (${info.hint})`;
}

/** Maps an HTTP failure (status, Twilio code, text, Retry-After) to the gateway's error types. */
export function mapHttpFailure(
  failure: { status: number; code?: number; providerMessage?: string; retryAfter?: string },
  now: number = Date.now(),
): PermanentError | RetryableError {
  const { status, providerMessage } = failure;
  // A 401 without a body is still an authentication failure.
  const code = failure.code ?? (status === 401 ? 20003 : undefined);
  const retryable =
    status === 408 || status === 429 || status >= 500 || (code !== undefined && RETRYABLE_CODES.has(code));
  if (retryable) {
    const what = code === undefined ? `HTTP ${status}` : `error ${code} (HTTP ${status})`;
    const detail = providerMessage === undefined ? "" : `: ${providerMessage}`;
    // Status, code and Twilio's own text: nothing of the gateway's network, fit for the sender.
    const text = `Twilio ${what}${detail}`;
    return new RetryableError(text, parseRetryAfter(failure.retryAfter, now), code ?? status, text);
  }
  if (code === 21610) return new OptedOutError(permanentText(code, status, providerMessage), code);
  const condition = (code === undefined ? undefined : SEND_ERRORS[code]?.condition) ?? "not-acceptable";
  return new PermanentError(permanentText(code, status, providerMessage), code ?? status, condition);
}

/** Reads `status`, `code` and a message off an error the SDK itself built (RestException & co). */
function sdkFailure(err: object): { status: number; code?: number; providerMessage?: string } | undefined {
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

/**
 * Turns anything a send threw into PermanentError or RetryableError. Errors already of those
 * types pass through; HTTP answers are mapped by status and code; network failures and anything
 * unrecognised are retryable.
 */
export function toSendError(err: unknown, now: number = Date.now()): PermanentError | RetryableError {
  if (err instanceof PermanentError || err instanceof RetryableError) return err;
  if (err instanceof TwilioHttpError) {
    return mapHttpFailure(
      {
        status: err.status,
        ...(err.code === undefined ? {} : { code: err.code }),
        ...(err.providerMessage === undefined ? {} : { providerMessage: err.providerMessage }),
        ...(err.retryAfter === undefined ? {} : { retryAfter: err.retryAfter }),
      },
      now,
    );
  }
  if (err instanceof TwilioNetworkError) {
    // The message names hosts, ports and addresses of the gateway's network: operators only.
    const timedOut = err.code !== undefined && /TIMEOUT|ETIMEDOUT/.test(err.code);
    return new RetryableError(
      `Twilio unreachable: ${err.message}`,
      undefined,
      err.code,
      timedOut ? "Twilio did not answer in time" : "Twilio could not be reached",
    );
  }
  if (typeof err === "object" && err !== null) {
    const failure = sdkFailure(err);
    if (failure !== undefined) return mapHttpFailure(failure, now);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new RetryableError(`Twilio send failed: ${message}`);
}
