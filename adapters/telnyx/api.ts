/**
 * A minimal client of Telnyx's REST API v2 over undici: JSON in, JSON out, `Authorization: Bearer`.
 * It never retries (a retried POST /v2/messages can send the SMS twice; retries belong to the
 * queue). An answer of 400 or more becomes a TelnyxHttpError that keeps Telnyx's first error and
 * the rate-limit headers; no answer at all becomes a TelnyxNetworkError.
 */
import { Agent, type Dispatcher } from "undici";
import { z } from "zod";

/** Telnyx's error body: `{"errors":[{"code":"10002","title":"...","detail":"..."}]}`. */
const errorsSchema = z.looseObject({
  errors: z
    .array(
      z.looseObject({
        code: z.union([z.string(), z.number()]).optional().catch(undefined),
        title: z.string().optional().catch(undefined),
        detail: z.string().optional().catch(undefined),
      }),
    )
    .optional()
    .catch(undefined),
});

/** An HTTP answer of 400 or more. */
export class TelnyxHttpError extends Error {
  override readonly name = "TelnyxHttpError";
  constructor(
    readonly status: number,
    /** The first `errors[].code`, as a number when it is one. */
    readonly code: number | undefined,
    /** Telnyx's own text (`detail`, else `title`). */
    readonly providerMessage: string | undefined,
    /** `x-ratelimit-reset` (or `retry-after`), raw. */
    readonly retryAfter: string | undefined,
  ) {
    super(`Telnyx answered HTTP ${status}${code === undefined ? "" : ` (error ${code})`}`);
  }
}

/** The request never got an HTTP answer: refused, reset, timed out, DNS failure... */
export class TelnyxNetworkError extends Error {
  override readonly name = "TelnyxNetworkError";
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export interface TelnyxApiOptions {
  readonly apiBaseUrl: string;
  readonly timeoutMs: number;
}

export class TelnyxApi {
  readonly #origin: string;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  #dispatcher: Dispatcher | undefined;

  constructor(o: TelnyxApiOptions) {
    const base = new URL(o.apiBaseUrl);
    this.#origin = base.origin;
    this.#prefix = base.pathname.replace(/\/+$/, "");
    this.#timeoutMs = o.timeoutMs;
  }

  /** `path` under /v2 (e.g. "/messages"); resolves with the parsed JSON body of a 2xx answer. */
  async request(
    apiKey: string,
    method: "GET" | "POST",
    path: string,
    o: { body?: unknown; query?: Record<string, string> } = {},
  ): Promise<unknown> {
    const query = o.query === undefined ? "" : `?${new URLSearchParams(o.query).toString()}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${apiKey}`,
      accept: "application/json",
    };
    if (o.body !== undefined) headers["content-type"] = "application/json";
    let status: number;
    let text: string;
    let answerHeaders: Record<string, string | string[] | undefined>;
    try {
      const answer = await this.#getDispatcher().request({
        origin: this.#origin,
        path: `${this.#prefix}/v2${path}${query}`,
        method,
        headers,
        ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      status = answer.statusCode;
      answerHeaders = answer.headers;
      text = await answer.body.text();
    } catch (err) {
      throw asNetworkError(err);
    }
    const json = parseJson(text);
    if (status >= 400) {
      const first = errorsSchema.safeParse(json).data?.errors?.[0];
      const code = first?.code === undefined ? undefined : Number(first.code);
      const message = [first?.detail, first?.title].find((t) => t !== undefined && t.length > 0);
      throw new TelnyxHttpError(
        status,
        code !== undefined && Number.isInteger(code) ? code : undefined,
        message,
        headerValue(answerHeaders, "x-ratelimit-reset") ?? headerValue(answerHeaders, "retry-after"),
      );
    }
    return json;
  }

  /** Closes the keep-alive sockets; a later request opens new ones. Never rejects. */
  async close(): Promise<void> {
    const dispatcher = this.#dispatcher;
    this.#dispatcher = undefined;
    await dispatcher?.close().catch(() => undefined);
  }

  #getDispatcher(): Dispatcher {
    this.#dispatcher ??= new Agent({ connections: 20, connect: { timeout: this.#timeoutMs } });
    return this.#dispatcher;
  }
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Errors carrying a string code never got an answer (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT, ...). */
function asNetworkError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const code: unknown = (err as Error & { code?: unknown }).code;
  if (typeof code !== "string") return err;
  return new TelnyxNetworkError(err.message.length > 0 ? err.message : code, code);
}
