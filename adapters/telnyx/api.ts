/**
 * A minimal client of Telnyx's REST API v2 over undici: JSON in, JSON out, `Authorization: Bearer`.
 * It never retries (a retried POST /v2/messages can send the SMS twice; retries belong to the
 * queue). An answer of 400 or more becomes a ProviderHttpError (provider kit) that keeps Telnyx's
 * first error and the rate-limit headers; no answer at all becomes a ProviderNetworkError.
 */
import { Agent, type Dispatcher } from "undici";
import { z } from "zod";
import { asNetworkError, ProviderHttpError } from "../provider-kit/index.js";

const PROVIDER = "Telnyx";

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
      throw asNetworkError(PROVIDER, err);
    }
    const json = parseJson(text);
    if (status >= 400) {
      const first = errorsSchema.safeParse(json).data?.errors?.[0];
      const code = first?.code === undefined ? undefined : Number(first.code);
      const message = [first?.detail, first?.title].find((t) => t !== undefined && t.length > 0);
      throw new ProviderHttpError(
        PROVIDER,
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
