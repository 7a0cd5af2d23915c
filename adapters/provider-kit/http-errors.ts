/**
 * What a provider's REST API answered, or that it did not answer: the two errors an adapter's HTTP
 * client throws, for `sendErrors` (send-errors.ts) to map. The provider's name (as it appears in
 * texts: "Twilio", "SignalWire", "Telnyx") is part of each.
 */

/** An HTTP answer of 400 or more from the provider's REST API. */
export class ProviderHttpError extends Error {
  override readonly name = "ProviderHttpError";
  constructor(
    readonly provider: string,
    readonly status: number,
    /** The provider's error code from the body, when there was one. */
    readonly code: number | undefined,
    /** The provider's own error text, when there was one. */
    readonly providerMessage: string | undefined,
    /** The raw header that says when to try again (Retry-After, x-ratelimit-reset), when present. */
    readonly retryAfter: string | undefined,
  ) {
    super(`${provider} answered HTTP ${status}${code === undefined ? "" : ` (error ${code})`}`);
  }
}

/** The request never got an HTTP answer: refused, reset, timed out, DNS failure... */
export class ProviderNetworkError extends Error {
  override readonly name = "ProviderNetworkError";
  constructor(
    readonly provider: string,
    message: string,
    /** The network error code, e.g. ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT (no answer in time). */
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Errors carrying a string code never got an answer: Node's (ECONNREFUSED, ECONNRESET, ...) and
 * undici's (UND_ERR_HEADERS_TIMEOUT, UND_ERR_BODY_TIMEOUT, UND_ERR_CONNECT_TIMEOUT, UND_ERR_SOCKET).
 * Those become a ProviderNetworkError; anything else is returned as it is.
 */
export function asNetworkError(provider: string, err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const code: unknown = (err as Error & { code?: unknown }).code;
  if (typeof code !== "string") return err;
  return new ProviderNetworkError(provider, err.message.length > 0 ? err.message : code, code);
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
