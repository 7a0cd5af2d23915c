/**
 * A Twilio stand-in: Twilio's own OpenAPI description (../shared/twilio-oai) served by
 * `prism proxy --errors` in front of a local recording server.
 *
 *   gateway/SDK ──> tap (baseUrl) ──> prism proxy --errors ──> recorder (node:http)
 *
 * - prism checks every request against the spec. An invalid one is answered 422
 *   application/problem+json with the violations and is NOT forwarded, so `requests` (what reached
 *   the recorder) only holds requests that passed validation.
 * - prism does not log the reasons of a rejected request (not even with `-v debug`): its log only
 *   says "Request terminated with error: ...UNPROCESSABLE_ENTITY: Invalid request". The tap, a
 *   transparent pass-through in front of prism, reads prism's own verdicts (problem+json bodies and
 *   the `sl-violations` header) and keeps them, with the reasons, for validationFailures().
 * - prism (with --errors) also validates the recorder's answers:
 *     201 Message resource .......... forwarded unchanged.
 *     400 / 429 JSON {code,message,more_info,status} (declared by the patched spec) .. forwarded
 *       unchanged, headers included: a 429's Retry-After reaches the client.
 *     500 / 502 / 503 (any status the spec does not declare for the operation) .. forwarded
 *       unchanged (status, body and headers such as Retry-After), plus an `sl-violations` header
 *       with a *Warning* "Unable to match the returned status code". A client sees the real status.
 *     an answer that breaks the declared schema (a 201 whose `status` is not in the enum, a 400/429
 *       with a text/plain body) .. replaced by prism's own 500 problem+json "VIOLATIONS". The
 *       recorder therefore always answers declared statuses in Twilio's JSON error shape.
 * - Do not point a test at prism's mock mode for "what was sent": it keeps no state.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import twilio from "twilio";
import type RequestClientNs from "twilio/lib/base/RequestClient.js";
import { freePort, LOOPBACK, waitForPort } from "./ports.js";
import { type ManagedProcess, makeTempDir, removeTempDir, runOk, spawnManaged } from "./process.js";
import { tail } from "./server-util.js";
import { withTimeout } from "./wait.js";

const HARNESS_DIR = dirname(fileURLToPath(import.meta.url));
/** The repository root (test/harness/../..). */
export const REPO_ROOT = resolve(HARNESS_DIR, "..", "..");
/** ../shared/twilio-oai beside the repository. */
export const TWILIO_OAI_DIR = resolve(REPO_ROOT, "..", "shared", "twilio-oai");

/** Path of Twilio's OpenAPI description, or undefined when ../shared/twilio-oai is absent. */
export function twilioSpecPath(): string | undefined {
  const spec = join(TWILIO_OAI_DIR, "twilio_api_v2010.json");
  return existsSync(spec) && existsSync(join(TWILIO_OAI_DIR, "patch-spec-for-prism.cjs")) ? spec : undefined;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. "/2010-04-01/Accounts/AC.../Messages.json". */
  path: string;
  query: Record<string, string>;
  /** Form fields; a field sent more than once (MediaUrl) is an array. */
  form: Record<string, string | string[]>;
  headers: Record<string, string | undefined>;
  /** The AccountSid path segment, when the path has one. */
  accountSid?: string;
  /** Decoded HTTP Basic credentials. */
  auth?: { username: string; password: string };
  /** When the recorder received it (Date.now()). */
  receivedAt: number;
  /** What the recorder answered. */
  response: { status: number; body: string };
}

export interface StandInResponse {
  /** HTTP status. 2xx answers a Message resource (for CreateMessage), others Twilio's error JSON. */
  status: number;
  /** Twilio error code for an error answer (defaults: 401 20003, 404 20404, 429 20429, 5xx 20500). */
  code?: number;
  /** Error message (defaults to a known text for the code). */
  message?: string;
  /** Adds `Retry-After: <n>` (e.g. with 429 or 503). */
  retryAfterSeconds?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** For a 2xx: fields merged into the default Message resource (e.g. `{ status: "failed" }`). */
  resource?: Record<string, unknown>;
  /** Raw body instead of the generated one (content-type stays application/json unless set in headers). */
  body?: string;
  /** Answer after this long (simulated latency, for timeout tests). */
  delayMs?: number;
  /**
   * Answer only once this settles. Unlike delayMs, the request is in `requests` (with
   * `response.status` 0) as soon as it arrived, so a test can act while the client waits for the
   * answer (e.g. kill it after the provider "accepted" the message).
   */
  hold?: Promise<unknown>;
  /**
   * Drop the connection without answering. prism then answers the client itself: 500
   * application/problem+json `{"type":"FetchError","title":"request to ... failed, reason: socket hang up"}`.
   */
  hangUp?: boolean;
}

export interface TwilioStandIn {
  /** What the gateway's twilio.apiBaseUrl (or an SDK httpClient) points at: the tap in front of prism. */
  readonly baseUrl: string;
  /** prism itself (no tap), for debugging. */
  readonly prismUrl: string;
  /** The recorder behind prism (no validation). */
  readonly recorderUrl: string;
  /** Requests that passed validation and reached the recorder, in order. */
  readonly requests: RecordedRequest[];
  /** The first recorded request matching `pred` (already recorded or arriving within `timeoutMs`, default 10 s). */
  waitForRequest(pred?: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  /** Queues the recorder's next answer (FIFO, one per request, any route). Default: 201 Message / 200 Account. */
  enqueueResponse(r: StandInResponse): void;
  /** Every validation failure prism reported (rejected requests, schema-breaking answers); [] when all was well. */
  validationFailures(): string[];
  /** prism's log (ANSI stripped, without the route listing it prints at startup). */
  prismLog(): string[];
  /** A twilio SDK client whose requests go to this stand-in. */
  sdkClient(accountSid: string, authToken: string): twilio.Twilio;
  stop(): Promise<void>;
}

export interface TwilioStandInOptions {
  /**
   * Known accounts (AccountSid -> AuthToken). When given, a request whose Basic credentials do not
   * match one of them gets 401 code 20003 from the recorder, as from Twilio. Default: any.
   */
  accounts?: Record<string, string>;
  /**
   * The IncomingPhoneNumbers of each account (AccountSid -> E.164 numbers): GET
   * /2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json lists them (filtered by PhoneNumber).
   * Combine with `accounts` so wrong credentials get 401 code 20003.
   */
  incomingNumbers?: Record<string, string[]>;
  /**
   * Play SignalWire's LaML API instead: requests arrive under /api/laml (the prefix is stripped
   * before prism, a request without it is a validation failure), account (project) ids and message
   * sids are UUIDs, and prism checks against a copy of the spec whose AC/SM id patterns also accept
   * UUIDs. Everything else is Twilio's shape.
   */
  signalwire?: boolean;
}

/** SignalWire's Twilio-compatible API lives below this path of the space URL. */
export const LAML_PREFIX = "/api/laml";
const UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
/** Id patterns (regex sources) of the flavour played: account ids and message sids. */
interface IdShapes {
  readonly account: string;
  readonly message: string;
}
const TWILIO_IDS: IdShapes = { account: "AC[0-9a-fA-F]{32}", message: "(?:SM|MM)[0-9a-fA-F]{32}" };
const SIGNALWIRE_IDS: IdShapes = { account: UUID, message: UUID };

const DEFAULT_CODES: Record<number, number> = { 401: 20003, 403: 20003, 404: 20404, 429: 20429 };
const KNOWN_MESSAGES: Record<number, string> = {
  20003: "Authenticate",
  20404: "The requested resource was not found",
  20429: "Too Many Requests",
  20500: "Internal Server Error",
  21211: "The 'To' number is not a valid phone number.",
  21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
  21602: "Message body is required.",
  21610: "Attempt to send to unsubscribed recipient",
  21614: "'To' number is not a valid mobile number",
  21617: "The concatenated message body exceeds the 1600 character limit.",
};

/** RFC 2822 date as Twilio writes it: "Thu, 24 Aug 2023 05:01:45 +0000". */
function rfc2822(date = new Date()): string {
  return date.toUTCString().replace("GMT", "+0000");
}

function errorBody(status: number, code: number, message: string): string {
  return JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}

function parseForm(body: string): Record<string, string | string[]> {
  const form: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const prev = form[key];
    if (prev === undefined) form[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else form[key] = [prev, value];
  }
  return form;
}

/** All values of a form field as an array (MediaUrl may be one string or several). */
export function formValues(form: Record<string, string | string[]>, key: string): string[] {
  const v = form[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

function basicAuth(header: string | undefined): { username: string; password: string } | undefined {
  if (!header?.startsWith("Basic ")) return undefined;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const i = decoded.indexOf(":");
  return i < 0 ? undefined : { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolveBody(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, LOOPBACK, () => {
      server.off("error", reject);
      resolveListen();
    });
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolveClose) => {
    server.close(() => resolveClose());
    server.closeAllConnections();
  });
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "host"]);

function stripAnsi(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
  return s.replace(/\u001b\[[0-9;]*m/g, "");
}

interface Violation {
  location?: string[];
  severity?: string;
  message?: string;
}

function describeViolations(list: unknown): string {
  if (!Array.isArray(list)) return "";
  return (list as Violation[])
    .map((v) => `${(v.location ?? []).join(".")}: ${v.message ?? "?"}${v.severity ? ` [${v.severity}]` : ""}`)
    .join("; ");
}

class StandIn implements TwilioStandIn {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: StandInResponse[] = [];
  private readonly failures: string[] = [];
  private readonly logLines: string[] = [];
  private readonly messages = new Map<string, Record<string, unknown>>();
  private waiters: { pred: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }[] = [];
  private prism: ManagedProcess | undefined;
  private readonly recorder: http.Server;
  private readonly tap: http.Server;
  readonly baseUrl: string;
  readonly prismUrl: string;
  readonly recorderUrl: string;
  private readonly ids: IdShapes;
  private readonly incoming: RegExp;
  private readonly accountPath: RegExp;
  private readonly messagePath: RegExp;

  constructor(
    private readonly dir: string,
    private readonly ports: { tap: number; prism: number; recorder: number },
    private readonly options: TwilioStandInOptions,
  ) {
    this.baseUrl = `http://${LOOPBACK}:${ports.tap}`;
    this.prismUrl = `http://${LOOPBACK}:${ports.prism}`;
    this.recorderUrl = `http://${LOOPBACK}:${ports.recorder}`;
    this.ids = options.signalwire ? SIGNALWIRE_IDS : TWILIO_IDS;
    this.incoming = new RegExp(`^/2010-04-01/Accounts/(${this.ids.account})/IncomingPhoneNumbers\\.json$`);
    this.accountPath = new RegExp(`^/2010-04-01/Accounts/${this.ids.account}\\.json$`);
    this.messagePath = new RegExp(`/Messages/(${this.ids.message})\\.json$`);
    this.recorder = http.createServer((req, res) => {
      void this.record(req, res);
    });
    this.tap = http.createServer((req, res) => {
      void this.forward(req, res);
    });
  }

  async start(specFile: string): Promise<void> {
    await listen(this.recorder, this.ports.recorder);
    await listen(this.tap, this.ports.tap);
    const prismBin = join(REPO_ROOT, "node_modules", ".bin", "prism");
    let listing = true;
    const proc = spawnManaged(
      "prism",
      prismBin,
      ["proxy", "--errors", "-h", LOOPBACK, "-p", String(this.ports.prism), specFile, this.recorderUrl],
      {
        cwd: this.dir,
        onLine: (raw) => {
          const line = stripAnsi(raw).trimEnd();
          if (!line) return;
          if (listing) {
            if (!line.includes("Prism is listening")) return; // the route listing printed at startup
            listing = false;
          }
          this.logLines.push(line);
          if (this.logLines.length > 5000) this.logLines.splice(0, 1000);
        },
      },
    );
    this.prism = proc;
    try {
      await Promise.race([
        waitForPort(this.ports.prism, 60_000),
        proc.exited.then((info) => {
          throw new Error(`prism exited during startup (${JSON.stringify(info)})`);
        }),
      ]);
    } catch (err) {
      await proc.stop(2000);
      throw new Error(`${(err as Error).message}\n${tail(stripAnsi(proc.output()))}`);
    }
  }

  /** The tap: passes everything to prism unchanged and notes prism's verdicts. */
  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = req.method ?? "GET";
    let url = req.url ?? "/";
    if (this.options.signalwire) {
      if (!url.startsWith(`${LAML_PREFIX}/`)) {
        this.failures.push(`${method} ${url}: not under SignalWire's ${LAML_PREFIX}`);
        res.writeHead(404, { "content-type": "text/plain" });
        res.end(`stand-in: SignalWire's API is under ${LAML_PREFIX}`);
        return;
      }
      url = url.slice(LAML_PREFIX.length);
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers))
      if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
    headers["content-length"] = String(body.length);
    const upstream = http.request(
      { host: LOOPBACK, port: this.ports.prism, method, path: url, headers },
      (upRes) => {
        void readBody(upRes).then((resBody) => {
          const status = upRes.statusCode ?? 502;
          this.inspect(method, url, status, upRes.headers, resBody.toString("utf8"));
          const out: http.OutgoingHttpHeaders = {};
          for (const [k, v] of Object.entries(upRes.headers))
            if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
          out["content-length"] = String(resBody.length);
          res.writeHead(status, out);
          res.end(resBody);
        });
      },
    );
    upstream.on("error", (err) => {
      this.failures.push(`${method} ${url}: the stand-in could not reach prism: ${err.message}`);
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`stand-in: prism unreachable: ${err.message}`);
    });
    upstream.end(body);
  }

  private inspect(
    method: string,
    url: string,
    status: number,
    headers: http.IncomingHttpHeaders,
    body: string,
  ) {
    const path = url.split("?")[0] ?? url;
    const contentType = String(headers["content-type"] ?? "");
    if (contentType.includes("application/problem+json")) {
      // prism's own answer: the request (422, 401, 404 ...) or the recorder's answer (500 VIOLATIONS)
      // failed validation. A problem whose type is not one of prism's error URIs ("FetchError": the
      // recorder dropped the connection, as asked with hangUp) is no validation failure.
      let detail = body;
      let type = "";
      try {
        const p = JSON.parse(body) as {
          type?: string;
          title?: string;
          detail?: string;
          validation?: unknown;
        };
        type = p.type ?? "";
        detail = [p.title, describeViolations(p.validation) || p.detail].filter(Boolean).join(": ");
      } catch {
        // keep the raw body
      }
      if (type.startsWith("https://stoplight.io/prism/errors#") || type === "") {
        this.failures.push(`${method} ${path} -> ${status} ${detail}`);
      }
      return;
    }
    const header = headers["sl-violations"];
    if (typeof header === "string") {
      try {
        const errors = (JSON.parse(header) as Violation[]).filter((v) => v.severity === "Error");
        if (errors.length > 0)
          this.failures.push(`${method} ${path} -> ${status} ${describeViolations(errors)}`);
      } catch {
        this.failures.push(`${method} ${path} -> ${status} sl-violations: ${header}`);
      }
    }
  }

  /** The recorder: records what passed validation and answers it. */
  private async record(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const raw = (await readBody(req)).toString("utf8");
    const url = new URL(req.url ?? "/", this.recorderUrl);
    const method = req.method ?? "GET";
    const contentType = req.headers["content-type"] ?? "";
    const form = contentType.includes("application/x-www-form-urlencoded") ? parseForm(raw) : {};
    const accountSid = new RegExp(`^/2010-04-01/Accounts/(${this.ids.account})(?:[/.]|$)`).exec(
      url.pathname,
    )?.[1];
    const auth = basicAuth(req.headers.authorization);
    const recorded: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      form,
      headers: flatHeaders(req.headers),
      ...(accountSid ? { accountSid } : {}),
      ...(auth ? { auth } : {}),
      receivedAt,
      response: { status: 0, body: "" },
    };

    const answer = this.answer(recorded);
    if (answer.spec.hold) {
      // Recorded (and visible to waitForRequest) now; answered once the test lets go.
      this.push(recorded);
      await answer.spec.hold;
    }
    if (answer.spec.delayMs) await new Promise((r) => setTimeout(r, answer.spec.delayMs));
    recorded.response = { status: answer.status, body: answer.body };
    if (!answer.spec.hold) this.push(recorded);
    if (answer.spec.hangUp) {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  private answer(r: RecordedRequest): {
    spec: StandInResponse;
    status: number;
    headers: Record<string, string>;
    body: string;
  } {
    const accounts = this.options.accounts;
    const authorized = !accounts || (r.auth !== undefined && accounts[r.auth.username] === r.auth.password);
    const spec: StandInResponse = !authorized
      ? { status: 401, code: 20003 }
      : (this.queue.shift() ?? { status: this.defaultStatus(r) });
    const headers: Record<string, string> = { "content-type": "application/json", ...spec.headers };
    if (spec.retryAfterSeconds !== undefined) headers["retry-after"] = String(spec.retryAfterSeconds);
    let body: string;
    if (spec.body !== undefined) {
      body = spec.body;
    } else if (spec.status >= 200 && spec.status < 300) {
      body = JSON.stringify(this.resourceFor(r, spec.resource ?? {}));
    } else {
      const code = spec.code ?? DEFAULT_CODES[spec.status] ?? (spec.status >= 500 ? 20500 : 0);
      body = errorBody(spec.status, code, spec.message ?? KNOWN_MESSAGES[code] ?? `HTTP ${spec.status}`);
    }
    return { spec, status: spec.status, headers, body };
  }

  private defaultStatus(r: RecordedRequest): number {
    if (r.method === "POST" && /\/Messages\.json$/.test(r.path)) return 201;
    if (r.method === "GET" && this.accountPath.test(r.path)) return 200;
    if (r.method === "GET" && this.incoming.test(r.path)) return 200;
    if (r.method === "GET") {
      const sid = this.messagePath.exec(r.path)?.[1];
      if (sid && this.messages.has(sid)) return 200;
    }
    return 404;
  }

  private resourceFor(r: RecordedRequest, overrides: Record<string, unknown>): Record<string, unknown> {
    const ac = r.accountSid ?? (this.options.signalwire ? randomUUID() : `AC${"0".repeat(32)}`);
    const now = rfc2822();
    if (r.method === "GET" && this.accountPath.test(r.path)) {
      return {
        auth_token: r.auth?.password ?? "",
        date_created: now,
        date_updated: now,
        friendly_name: "Stand-in account",
        owner_account_sid: ac,
        sid: ac,
        status: "active",
        subresource_uris: {},
        type: "Full",
        uri: `/2010-04-01/Accounts/${ac}.json`,
        ...overrides,
      };
    }
    if (r.method === "GET" && this.incoming.test(r.path)) return this.incomingNumbers(r, ac, now, overrides);
    const fetched = this.messagePath.exec(r.path)?.[1];
    if (r.method === "GET" && fetched) return { ...this.messages.get(fetched), ...overrides };
    const sid = this.options.signalwire ? randomUUID() : `SM${randomBytes(16).toString("hex")}`;
    const str = (k: string) => {
      const v = r.form[k];
      return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
    };
    const media = formValues(r.form, "MediaUrl").length;
    const resource: Record<string, unknown> = {
      account_sid: ac,
      api_version: "2010-04-01",
      body: str("Body") ?? "",
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: "outbound-api",
      error_code: null,
      error_message: null,
      from: str("From"),
      messaging_service_sid: str("MessagingServiceSid"),
      num_media: String(media),
      num_segments: "1",
      price: null,
      price_unit: "USD",
      sid,
      status: str("MessagingServiceSid") && !str("From") ? "accepted" : "queued",
      subresource_uris: { media: `/2010-04-01/Accounts/${ac}/Messages/${sid}/Media.json` },
      to: str("To"),
      uri: `/2010-04-01/Accounts/${ac}/Messages/${sid}.json`,
      ...overrides,
    };
    if (typeof resource.sid === "string") this.messages.set(resource.sid, resource);
    return resource;
  }

  /** A page of IncomingPhoneNumbers (the account's numbers, filtered by the PhoneNumber query). */
  private incomingNumbers(
    r: RecordedRequest,
    ac: string,
    now: string,
    overrides: Record<string, unknown>,
  ): Record<string, unknown> {
    const wanted = r.query.PhoneNumber;
    const numbers = (this.options.incomingNumbers?.[ac] ?? []).filter((n) => !wanted || n === wanted);
    const pageSize = Number(r.query.PageSize ?? 50);
    return {
      end: Math.max(numbers.length - 1, 0),
      next_page_uri: null,
      page: 0,
      page_size: pageSize,
      previous_page_uri: null,
      start: 0,
      incoming_phone_numbers: numbers.map((n, i) => ({
        account_sid: ac,
        api_version: "2010-04-01",
        beta: false,
        capabilities: { mms: true, sms: true, voice: true, fax: false },
        date_created: now,
        date_updated: now,
        friendly_name: n,
        phone_number: n,
        origin: "twilio",
        sid: `PN${i.toString(16).padStart(32, "0")}`,
        sms_method: "POST",
        status: "in-use",
        type: "local",
      })),
      ...overrides,
    };
  }

  private push(r: RecordedRequest): void {
    this.requests.push(r);
    const matched = this.waiters.filter((w) => w.pred(r));
    if (matched.length === 0) return;
    this.waiters = this.waiters.filter((w) => !matched.includes(w));
    for (const w of matched) w.resolve(r);
  }

  waitForRequest(
    pred: (r: RecordedRequest) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<RecordedRequest> {
    const found = this.requests.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolveWait, reject) => {
      const waiter = {
        pred,
        resolve: (r: RecordedRequest) => {
          clearTimeout(timer);
          resolveWait(r);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const seen = this.requests.map((r) => `  ${r.method} ${r.path} ${JSON.stringify(r.form)}`).join("\n");
        const failed = this.failures.map((f) => `  ${f}`).join("\n");
        reject(
          new Error(
            `Twilio stand-in: no matching request within ${timeoutMs} ms\nrecorded:\n${seen || "  (none)"}\nvalidation failures:\n${failed || "  (none)"}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  enqueueResponse(r: StandInResponse): void {
    this.queue.push(r);
  }

  validationFailures(): string[] {
    return [...this.failures];
  }

  prismLog(): string[] {
    return [...this.logLines];
  }

  sdkClient(accountSid: string, authToken: string): twilio.Twilio {
    return twilioClientFor(this.baseUrl, accountSid, authToken);
  }

  async stop(): Promise<void> {
    await this.prism?.stop(5000);
    await withTimeout(
      Promise.all([close(this.tap), close(this.recorder)]),
      5000,
      "stand-in servers to close",
    );
    removeTempDir(this.dir);
  }
}

/** An SDK RequestClient that sends every request (api.twilio.com or any *.twilio.com) to `baseUrl`. */
export class RedirectingRequestClient extends twilio.RequestClient {
  constructor(private readonly target: string) {
    super({ autoRetry: false });
  }

  override request<TData>(opts: RequestClientNs.RequestOptions<TData>) {
    const from = new URL(opts.uri);
    const to = new URL(this.target);
    from.protocol = to.protocol;
    from.host = to.host;
    return super.request({ ...opts, uri: from.toString() });
  }
}

/** A twilio SDK client whose requests go to `baseUrl` instead of https://api.twilio.com. */
export function twilioClientFor(baseUrl: string, accountSid: string, authToken: string): twilio.Twilio {
  return twilio(accountSid, authToken, { httpClient: new RedirectingRequestClient(baseUrl) });
}

/**
 * Starts prism (validating proxy of the patched spec) with a recorder behind it and a tap in
 * front. Throws when ../shared/twilio-oai is absent: guard tests with `describe.skipIf(!twilioSpecPath())`.
 * prism takes ~2-3 s to start (it loads the 1.9 MB spec).
 */
export async function startTwilioStandIn(options: TwilioStandInOptions = {}): Promise<TwilioStandIn> {
  const spec = twilioSpecPath();
  if (!spec) throw new Error(`Twilio's OpenAPI spec is not at ${TWILIO_OAI_DIR} (skip this test)`);
  const dir = makeTempDir("twilio");
  const patched = join(dir, "twilio.prism.json");
  await runOk(process.execPath, [join(TWILIO_OAI_DIR, "patch-spec-for-prism.cjs"), patched], {
    cwd: dir,
    timeoutMs: 30_000,
  });
  if (options.signalwire) acceptUuidIds(patched);
  const ports = { tap: await freePort(), prism: await freePort(), recorder: await freePort() };
  const standIn = new StandIn(dir, ports, options);
  try {
    await standIn.start(patched);
  } catch (err) {
    await standIn.stop().catch(() => undefined);
    throw err;
  }
  return standIn;
}

/** Rewrites the patched spec so that every AC.../SM|MM... id pattern also accepts a UUID (SignalWire's ids). */
function acceptUuidIds(specFile: string): void {
  const widen: Record<string, string> = {
    [`^${TWILIO_IDS.account}$`]: `^(?:${TWILIO_IDS.account}|${UUID})$`,
    "^(SM|MM)[0-9a-fA-F]{32}$": `^(?:(SM|MM)[0-9a-fA-F]{32}|${UUID})$`,
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (typeof node !== "object" || node === null) return;
    const obj = node as Record<string, unknown>;
    const wider = typeof obj.pattern === "string" ? widen[obj.pattern] : undefined;
    if (wider !== undefined) {
      obj.pattern = wider;
      delete obj.minLength;
      delete obj.maxLength;
    }
    for (const value of Object.values(obj)) visit(value);
  };
  const spec: unknown = JSON.parse(readFileSync(specFile, "utf8"));
  visit(spec);
  writeFileSync(specFile, JSON.stringify(spec));
}

/**
 * POSTs `params` form-encoded to `url`, signed like a Twilio webhook with the SDK's own
 * getExpectedTwilioSignature. `signUrl` signs for another URL than the one posted to (e.g. the
 * configured public URL); `signature: null` omits X-Twilio-Signature, a string forges it.
 */
export async function signedTwilioPost(
  url: string,
  params: Record<string, string>,
  authToken: string,
  opts: {
    signUrl?: string;
    signature?: string | null;
    headers?: Record<string, string>;
    /** The header carrying the signature (SignalWire: x-signalwire-signature). */
    signatureHeader?: string;
  } = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const signature =
    opts.signature === undefined
      ? twilio.getExpectedTwilioSignature(authToken, opts.signUrl ?? url, params)
      : opts.signature;
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    "user-agent": "TwilioProxy/1.1",
    ...opts.headers,
  };
  if (signature !== null) headers[opts.signatureHeader ?? "x-twilio-signature"] = signature;
  const res = await fetch(url, {
    method: "POST",
    headers,
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, body: await res.text(), headers: res.headers };
}
