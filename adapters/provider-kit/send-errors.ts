/**
 * From what a send threw to the core's PermanentError / OptedOutError / RetryableError, the same
 * for every provider with a REST API: 408, 429 and 5xx (and the provider's own "slow down" codes)
 * are retried after the provider's delay; the opt-out code records the opt-out; other 4xx are
 * permanent, with the condition and reason of the provider's table, and texts users read:
 * `<Provider> error 21211: <the provider's text, or the table's reason> (<hint>)`. Network
 * failures and anything unrecognised are retryable. An adapter describes its provider once
 * (`ProviderErrorTable`) and gets the mapping from `sendErrors`.
 */
import {
  OptedOutError,
  PermanentError,
  type RefusalCondition,
  RetryableError,
} from "../../src/core/errors.js";
import { ProviderHttpError, ProviderNetworkError } from "./http-errors.js";

export interface SendErrorInfo {
  /** Readable reason, used when the provider's answer carries no text of its own. */
  readonly reason: string;
  /** What the sender or operator should know beyond the provider's text; always appended. */
  readonly hint?: string;
  readonly condition: RefusalCondition;
}

/** An HTTP failure as the mapping reads it. */
export interface HttpFailure {
  readonly status: number;
  readonly code?: number;
  readonly providerMessage?: string;
  readonly retryAfter?: string;
}

export interface ProviderErrorTable {
  /** The provider's name in texts ("Twilio", "SignalWire", "Telnyx"). */
  readonly name: string;
  /** Error codes a send can answer with (4xx), and how the gateway reports them. */
  readonly sendErrors: Readonly<Record<number, SendErrorInfo>>;
  /** Codes that mean "slow down and try again", whatever the HTTP status. */
  readonly retryableCodes: ReadonlySet<number>;
  /** The code of "the recipient opted out (replied STOP)". */
  readonly optOutCode: number;
  /** The provider's code for an answer with this status and no code in its body (401: auth). */
  readonly codeOfStatus: Readonly<Record<number, number>>;
  /** Milliseconds to wait from the raw retry header (undefined: the queue's own backoff). */
  readonly retryAfterMs: (value: string | undefined, now: number) => number | undefined;
  /** An HTTP failure read off another error a send may throw (an SDK's own), if it is one. */
  readonly failureOf?: (err: object) => HttpFailure | undefined;
}

export interface SendErrors {
  mapHttpFailure(failure: HttpFailure, now?: number): PermanentError | RetryableError;
  toSendError(err: unknown, now?: number): PermanentError | RetryableError;
}

export function sendErrors(table: ProviderErrorTable): SendErrors {
  const { name } = table;
  const permanentText = (code: number | undefined, status: number, providerMessage: string | undefined) => {
    const info = code === undefined ? undefined : table.sendErrors[code];
    const head = code === undefined ? `${name} error (HTTP ${status})` : `${name} error ${code}`;
    const text = providerMessage ?? info?.reason ?? `request refused with HTTP ${status}`;
    return info?.hint === undefined ? `${head}: ${text}` : `${head}: ${text} (${info.hint})`;
  };

  function mapHttpFailure(failure: HttpFailure, now: number = Date.now()): PermanentError | RetryableError {
    const { status, providerMessage } = failure;
    const code = failure.code ?? table.codeOfStatus[status];
    const retryable =
      status === 408 ||
      status === 429 ||
      status >= 500 ||
      (code !== undefined && table.retryableCodes.has(code));
    if (retryable) {
      const what = code === undefined ? `HTTP ${status}` : `error ${code} (HTTP ${status})`;
      // Status, code and the provider's own text: nothing of the gateway's network, fit for the sender.
      const text = `${name} ${what}${providerMessage === undefined ? "" : `: ${providerMessage}`}`;
      return new RetryableError(text, table.retryAfterMs(failure.retryAfter, now), code ?? status, text);
    }
    const text = permanentText(code, status, providerMessage);
    if (code === table.optOutCode) return new OptedOutError(text, code);
    const condition =
      (code === undefined ? undefined : table.sendErrors[code]?.condition) ?? "not-acceptable";
    return new PermanentError(text, code ?? status, condition);
  }

  function toSendError(err: unknown, now: number = Date.now()): PermanentError | RetryableError {
    if (err instanceof PermanentError || err instanceof RetryableError) return err;
    if (err instanceof ProviderHttpError) {
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
    if (err instanceof ProviderNetworkError) {
      // The message names hosts, ports and addresses of the gateway's network: operators only.
      const timedOut = err.code !== undefined && /TIMEOUT|ETIMEDOUT/.test(err.code);
      return new RetryableError(
        `${name} unreachable: ${err.message}`,
        undefined,
        err.code,
        timedOut ? `${name} did not answer in time` : `${name} could not be reached`,
      );
    }
    const failure = typeof err === "object" && err !== null ? table.failureOf?.(err) : undefined;
    if (failure !== undefined) return mapHttpFailure(failure, now);
    return new RetryableError(`${name} send failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  return { mapHttpFailure, toSendError };
}
