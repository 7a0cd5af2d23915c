/**
 * The HTTP client handed to the twilio SDK. It does three things the stock RequestClient does not:
 * 1. sends REST API requests to the configured apiBaseUrl instead of https://api.twilio.com
 *    (Twilio-compatible providers, a local stand-in in tests, a fixed Twilio edge);
 * 2. turns an HTTP answer of 400 or more into a ProviderHttpError (provider kit) that keeps the
 *    status and the Retry-After header (the SDK's own RestException drops the headers), and a
 *    failure without an answer into a ProviderNetworkError, both naming the provider the client
 *    speaks to (Twilio, or a flavour). Errors are thrown per request, so concurrent sends on the
 *    shared client never see each other's responses;
 * 3. speaks HTTP with undici over one keep-alive dispatcher per client instead of the SDK's axios
 *    (axios and Node's http client were ~15% of the gateway's CPU per outbound SMS).
 *
 * `request()` reproduces the SDK's RequestClient.request: Basic auth from username/password (or
 * the auth strategy), the SDK's headers, a form body with repeated keys for arrays
 * (MediaUrl=a&MediaUrl=b) or a JSON body, params as the query string, no redirects, and the answer
 * as `{ statusCode, body, headers }` with the body as text (the SDK JSON-parses string bodies).
 * Like the SDK it honours TWILIO_CA_BUNDLE and HTTP_PROXY (plus HTTPS_PROXY and NO_PROXY).
 * Not kept: the SDK's `lastRequest`/`lastResponse` (meaningless on a client shared by concurrent
 * sends), axios interceptors (autoRetry, PKCV validationClient; the gateway uses neither) and
 * compressed answers (no Accept-Encoding is sent).
 */
import { readFileSync } from "node:fs";
import twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient.js";
import type * as ResponseModule from "twilio/lib/http/response.js";
import { Agent, type Dispatcher, EnvHttpProxyAgent } from "undici";
import { z } from "zod";
import { asNetworkError, ProviderHttpError } from "../provider-kit/index.js";

/** api.twilio.com and its edge/region forms (api.dublin.ie1.twilio.com). */
const API_HOST = /^api(?:\.[a-z0-9-]+)*\.twilio\.com$/i;

/** The SDK's RequestClient defaults: request timeout and sockets per host. */
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_SOCKETS = 20;

/** Twilio's error body, legacy `{code, message, more_info, status}` or RFC 9457 `{title, detail, code}`. */
const errorBodySchema = z.looseObject({
  code: z.number().int().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
  detail: z.string().optional().catch(undefined),
  title: z.string().optional().catch(undefined),
});

/** The SDK's HTTP response type (a CommonJS module whose class is its `default` export). */
type Response<T> = ResponseModule.default<T>;

/** Where one request goes: scheme+host+port, and path plus query. */
interface Target {
  readonly origin: string;
  readonly path: string;
}

export class GatewayRequestClient extends twilio.RequestClient {
  readonly #base: URL;
  readonly #connections: number;
  readonly #ca: string | Buffer | undefined;
  readonly #provider: string;
  #dispatcher: Dispatcher | undefined;

  constructor(
    apiBaseUrl: string,
    options: RequestClient.RequestClientOptions = {},
    /** The provider's name in the errors it throws (a Twilio-compatible flavour's own). */
    provider = "Twilio",
  ) {
    // Read once, and handed to the SDK's constructor too, which then skips its own read.
    const ca = options.ca ?? caBundle();
    super({ ...options, ca });
    this.#base = new URL(apiBaseUrl);
    this.#connections = options.maxSockets || DEFAULT_MAX_SOCKETS;
    this.#ca = ca;
    this.#provider = provider;
  }

  /** Maps a request URI onto the configured API base (origin plus optional path prefix). */
  rebase(uri: string): string {
    const { origin, path } = this.#target(uri);
    return `${origin}${path}`;
  }

  #target(uri: string): Target {
    const target = new URL(uri);
    if (!API_HOST.test(target.hostname)) {
      return { origin: target.origin, path: `${target.pathname}${target.search}` };
    }
    const prefix = this.#base.pathname.replace(/\/+$/, "");
    return { origin: this.#base.origin, path: `${prefix}${target.pathname}${target.search}` };
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    if (!opts.method) throw new Error("http method is required");
    if (!opts.uri) throw new Error("uri is required");

    const target = this.#target(opts.uri);
    const headers: Record<string, string> = { ...opts.headers };
    if (!this.keepAlive && headerOf(headers, "connection") === undefined) headers.Connection = "close";
    if (opts.username && opts.password) {
      headers.Authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString("base64")}`;
    } else if (opts.authStrategy) {
      headers.Authorization = await opts.authStrategy.getAuthString();
    }
    let path = target.path;
    if (opts.params !== undefined && opts.params !== null) {
      const query = formEncode(opts.params);
      if (query.length > 0) path += `${path.includes("?") ? "&" : "?"}${query}`;
    }
    const timeout = opts.timeout || this.defaultTimeout || DEFAULT_TIMEOUT_MS;

    let statusCode: number;
    let text: string;
    let responseHeaders: Record<string, string | string[] | undefined>;
    try {
      const answer = await this.#getDispatcher().request({
        origin: target.origin,
        path,
        method: opts.method.toUpperCase(),
        headers,
        body: requestBody(opts.data, headerOf(headers, "content-type")),
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      statusCode = answer.statusCode;
      responseHeaders = answer.headers;
      text = await answer.body.text();
    } catch (err) {
      throw asNetworkError(this.#provider, err);
    }

    if (statusCode >= 400) {
      const body = errorBody(text);
      const message = [body.message, body.detail, body.title].find((t) => t !== undefined && t.length > 0);
      const retryAfter = headerValue(responseHeaders, "retry-after");
      throw new ProviderHttpError(this.#provider, statusCode, body.code, message, retryAfter);
    }
    // The SDK types the body as the request's TData; at run time it takes a string and JSON-parses it.
    return { statusCode, body: text as unknown as TData, headers: responseHeaders };
  }

  /**
   * Closes the keep-alive dispatcher so the process can exit: requests in flight finish first, idle
   * sockets are closed. A later request opens a new dispatcher. Never rejects.
   */
  async destroy(): Promise<void> {
    const dispatcher = this.#dispatcher;
    this.#dispatcher = undefined;
    if (dispatcher === undefined) return;
    try {
      await dispatcher.close();
    } catch {
      // Already closed or destroyed: nothing left to release.
    }
  }

  /** One dispatcher per client, created on first use (registration builds clients it may not use). */
  #getDispatcher(): Dispatcher {
    if (this.#dispatcher === undefined) {
      const ca = this.#ca === undefined ? {} : { ca: this.#ca };
      const options = {
        connections: this.#connections,
        connect: { timeout: this.defaultTimeout || DEFAULT_TIMEOUT_MS, ...ca },
      };
      this.#dispatcher = proxyConfigured()
        ? new EnvHttpProxyAgent({ ...options, requestTls: ca })
        : new Agent(options);
    }
    return this.#dispatcher;
  }
}

/** TWILIO_CA_BUNDLE names a PEM file of trusted CAs, as for the SDK. */
function caBundle(): Buffer | undefined {
  const file = process.env.TWILIO_CA_BUNDLE;
  return file === undefined ? undefined : readFileSync(file);
}

function proxyConfigured(): boolean {
  const env = process.env;
  return Boolean(env.HTTP_PROXY || env.http_proxy || env.HTTPS_PROXY || env.https_proxy);
}

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  for (const key in headers) {
    if (key.toLowerCase() === name) return headers[key];
  }
  return undefined;
}

/** The body the SDK would send: form-encoded or JSON by Content-Type, nothing otherwise. */
function requestBody(data: unknown, contentType: string | undefined): string | undefined {
  if (data === undefined || data === null || contentType === undefined) return undefined;
  const mediaType = contentType.split(";", 1)[0]?.trim().toLowerCase();
  if (mediaType === "application/x-www-form-urlencoded") return formEncode(data);
  if (mediaType === "application/json") return typeof data === "string" ? data : JSON.stringify(data);
  return undefined;
}

/**
 * `qs.stringify(value, { arrayFormat: "repeat" })`: arrays repeat their key (MediaUrl=a&MediaUrl=b),
 * nested objects use brackets (a[b]=c), undefined is left out, null is an empty value, dates are ISO.
 */
export function formEncode(value: unknown): string {
  const form = new URLSearchParams();
  if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) appendField(form, key, item);
  }
  return form.toString();
}

function appendField(form: URLSearchParams, key: string, value: unknown): void {
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return;
  if (value === null) {
    form.append(key, "");
  } else if (value instanceof Date) {
    form.append(key, value.toISOString());
  } else if (Array.isArray(value)) {
    for (const item of value) appendField(form, key, item);
  } else if (typeof value === "object") {
    for (const [sub, item] of Object.entries(value)) appendField(form, `${key}[${sub}]`, item);
  } else {
    form.append(key, String(value));
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
