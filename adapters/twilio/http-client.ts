/**
 * The HTTP client handed to the twilio SDK. It does two things the stock RequestClient does not:
 * 1. sends REST API requests to the configured apiBaseUrl instead of https://api.twilio.com
 *    (Twilio-compatible providers, a local stand-in in tests, a fixed Twilio edge);
 * 2. turns an HTTP answer of 400 or more into a TwilioHttpError that keeps the status and the
 *    Retry-After header (the SDK's own RestException drops the headers), and a failure without an
 *    answer into a TwilioNetworkError. Errors are thrown per request, so concurrent sends on the
 *    shared client never see each other's responses.
 */
import twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient.js";
import type * as ResponseModule from "twilio/lib/http/response.js";
import { z } from "zod";
import { TwilioHttpError, TwilioNetworkError } from "./errors.js";

/** api.twilio.com and its edge/region forms (api.dublin.ie1.twilio.com). */
const API_HOST = /^api(?:\.[a-z0-9-]+)*\.twilio\.com$/i;

/** Twilio's error body, legacy `{code, message, more_info, status}` or RFC 9457 `{title, detail, code}`. */
const errorBodySchema = z.looseObject({
  code: z.number().int().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
  detail: z.string().optional().catch(undefined),
  title: z.string().optional().catch(undefined),
});

/** The SDK's HTTP response type (a CommonJS module whose class is its `default` export). */
type Response<T> = ResponseModule.default<T>;

export class GatewayRequestClient extends twilio.RequestClient {
  readonly #base: URL;

  constructor(apiBaseUrl: string, options: RequestClient.RequestClientOptions) {
    super(options);
    this.#base = new URL(apiBaseUrl);
  }

  /** Maps a request URI onto the configured API base (origin plus optional path prefix). */
  rebase(uri: string): string {
    const target = new URL(uri);
    if (!API_HOST.test(target.hostname)) return uri;
    const prefix = this.#base.pathname.replace(/\/+$/, "");
    return `${this.#base.origin}${prefix}${target.pathname}${target.search}`;
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    let response: Response<TData>;
    try {
      response = await super.request({ ...opts, uri: this.rebase(opts.uri) });
    } catch (err) {
      throw asNetworkError(err);
    }
    if (response.statusCode >= 400) {
      const body = errorBody(response.body);
      const text = [body.message, body.detail, body.title].find((t) => t !== undefined && t.length > 0);
      throw new TwilioHttpError(
        response.statusCode,
        body.code,
        text,
        headerValue(response.headers, "retry-after"),
      );
    }
    return response;
  }

  /** Closes idle keep-alive sockets so the process can exit. */
  destroy(): void {
    const agent: unknown = this.axios.defaults.httpsAgent;
    if (
      typeof agent === "object" &&
      agent !== null &&
      "destroy" in agent &&
      typeof agent.destroy === "function"
    ) {
      agent.destroy();
    }
  }
}

function errorBody(body: unknown): z.infer<typeof errorBodySchema> {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return {};
    }
  }
  const parsed = errorBodySchema.safeParse(value);
  return parsed.success ? parsed.data : {};
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== "object" || headers === null) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === "string") return first;
    if (typeof first === "number") return String(first);
  }
  return undefined;
}

/** Errors carrying a Node/axios code (ECONNREFUSED, ECONNABORTED, ...) never got an answer. */
function asNetworkError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const code: unknown = (err as Error & { code?: unknown }).code;
  if (typeof code !== "string") return err;
  return new TwilioNetworkError(err.message.length > 0 ? err.message : code, code);
}
