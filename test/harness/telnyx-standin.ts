/**
 * A Telnyx stand-in: Telnyx's own OpenAPI description (../shared/telnyx-oai) served by
 * `prism proxy --errors` in front of a local recording server, as for Twilio:
 *
 *   gateway ──> tap (baseUrl) ──> prism proxy --errors ──> recorder (node:http)
 *
 * - The spec's paths have no /v2 (its server URL is https://api.telnyx.com/v2): the tap takes the
 *   /v2 off before prism sees the request, and a request outside /v2 is a validation failure.
 * - prism checks every request (Bearer auth present, query, JSON body) against the spec; an
 *   invalid one is answered 422 and never reaches the recorder. The tap keeps prism's verdicts
 *   (problem+json answers, `sl-violations` errors) for validationFailures(), with the webhook
 *   bodies built by telnyx-events.ts that broke the spec's webhook schemas.
 * - The recorder answers in the spec's shapes (prism --errors checks those too): 200 Message
 *   `{data: {...}}`, the phone-number list, and errors as `{errors: [{code, title, detail}]}`.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { freePort, LOOPBACK, waitForPort } from "./ports.js";
import { type ManagedProcess, makeTempDir, removeTempDir, spawnManaged } from "./process.js";
import { tail } from "./server-util.js";
import { telnyxSpecPath, webhookBuildFailures } from "./telnyx-events.js";
import { REPO_ROOT } from "./twilio-standin.js";
import { withTimeout } from "./wait.js";

export interface TelnyxRecordedRequest {
  readonly method: string;
  /** Path as the client sent it, e.g. "/v2/messages". */
  readonly path: string;
  readonly query: Record<string, string>;
  /** The parsed JSON body (undefined when there was none). */
  readonly json: unknown;
  readonly headers: Record<string, string | undefined>;
  /** The Bearer token. */
  readonly apiKey?: string;
  readonly receivedAt: number;
  response: { status: number; body: string };
}

export interface TelnyxStandInResponse {
  readonly status: number;
  /** Telnyx error code for an error answer (errors[0].code). */
  readonly code?: string;
  readonly title?: string;
  readonly detail?: string;
  /** Adds `x-ratelimit-reset: <n>` (seconds). */
  readonly rateLimitReset?: number;
  readonly headers?: Record<string, string>;
  /** Answer after this long. */
  readonly delayMs?: number;
  /** Drop the connection without answering. */
  readonly hangUp?: boolean;
}

export interface TelnyxStandInOptions {
  /** API key -> the numbers its account owns. Given: other keys get 401 code 10009. */
  readonly accounts?: Record<string, readonly string[]>;
}

export interface TelnyxStandIn {
  /** What telnyx.apiBaseUrl points at (requests go to <baseUrl>/v2/...). */
  readonly baseUrl: string;
  readonly requests: TelnyxRecordedRequest[];
  waitForRequest(
    pred?: (r: TelnyxRecordedRequest) => boolean,
    timeoutMs?: number,
  ): Promise<TelnyxRecordedRequest>;
  /** Queues the recorder's next answer (FIFO, any route). */
  enqueueResponse(r: TelnyxStandInResponse): void;
  /** Every request prism refused or answer it flagged, and every built webhook off the spec. */
  validationFailures(): string[];
  stop(): Promise<void>;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, LOOPBACK, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "host"]);

function flat(headers: http.IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

function errorsBody(code: string, title: string, detail?: string): string {
  return JSON.stringify({ errors: [{ code, title, ...(detail === undefined ? {} : { detail }) }] });
}

const DEFAULT_ERRORS: Record<number, { code: string; title: string }> = {
  401: { code: "10009", title: "Authentication failed" },
  404: { code: "10005", title: "Resource not found" },
  429: { code: "10011", title: "Too many requests" },
};

class StandIn implements TelnyxStandIn {
  readonly requests: TelnyxRecordedRequest[] = [];
  private readonly queue: TelnyxStandInResponse[] = [];
  private readonly failures: string[] = [];
  private waiters: {
    pred: (r: TelnyxRecordedRequest) => boolean;
    resolve: (r: TelnyxRecordedRequest) => void;
  }[] = [];
  private prism: ManagedProcess | undefined;
  private readonly recorder = http.createServer((req, res) => void this.record(req, res));
  private readonly tap = http.createServer((req, res) => void this.forward(req, res));
  readonly baseUrl: string;

  constructor(
    private readonly dir: string,
    private readonly ports: { tap: number; prism: number; recorder: number },
    private readonly options: TelnyxStandInOptions,
  ) {
    this.baseUrl = `http://${LOOPBACK}:${ports.tap}`;
  }

  async start(spec: string): Promise<void> {
    await listen(this.recorder, this.ports.recorder);
    await listen(this.tap, this.ports.tap);
    const bin = `${REPO_ROOT}/node_modules/.bin/prism`;
    const recorderUrl = `http://${LOOPBACK}:${this.ports.recorder}`;
    const proc = spawnManaged(
      "prism",
      bin,
      ["proxy", "--errors", "-h", LOOPBACK, "-p", String(this.ports.prism), spec, recorderUrl],
      {
        cwd: this.dir,
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
      throw new Error(`${(err as Error).message}\n${tail(proc.output())}`);
    }
  }

  /** The tap: takes /v2 off, passes the request to prism and notes prism's verdicts. */
  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    if (!url.startsWith("/v2/")) {
      this.failures.push(`${method} ${url}: not under /v2 (the spec's server is https://api.telnyx.com/v2)`);
      res.writeHead(404, { "content-type": "application/json" });
      res.end(errorsBody("10005", "Resource not found"));
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers))
      if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
    headers["content-length"] = String(body.length);
    const upstream = http.request(
      { host: LOOPBACK, port: this.ports.prism, method, path: url.slice(3), headers },
      (upRes) => {
        void readBody(upRes).then((resBody) => {
          const status = upRes.statusCode ?? 502;
          this.inspect(`${method} ${url.split("?")[0]}`, status, upRes.headers, resBody.toString("utf8"));
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

  private inspect(what: string, status: number, headers: http.IncomingHttpHeaders, body: string): void {
    if (String(headers["content-type"] ?? "").includes("application/problem+json")) {
      let type = "";
      let detail = body;
      try {
        const p = JSON.parse(body) as {
          type?: string;
          title?: string;
          detail?: string;
          validation?: unknown;
        };
        type = p.type ?? "";
        detail = [p.title, p.detail, JSON.stringify(p.validation ?? "")].filter(Boolean).join(": ");
      } catch {
        // keep the raw body
      }
      // "FetchError": the recorder hung up as asked (hangUp); no validation failure.
      if (type === "" || type.startsWith("https://stoplight.io/prism/errors#")) {
        this.failures.push(`${what} -> ${status} ${detail}`);
      }
      return;
    }
    const violations = headers["sl-violations"];
    if (typeof violations !== "string") return;
    try {
      const list = JSON.parse(violations) as { location?: string[]; severity?: string; message?: string }[];
      const errors = list.filter((v) => v.severity === "Error");
      if (errors.length > 0) {
        this.failures.push(
          `${what} -> ${status} ${errors.map((v) => `${(v.location ?? []).join(".")}: ${v.message}`).join("; ")}`,
        );
      }
    } catch {
      this.failures.push(`${what} -> ${status} sl-violations: ${violations}`);
    }
  }

  /** The recorder: records what passed validation and answers it in the spec's shapes. */
  private async record(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = (await readBody(req)).toString("utf8");
    const url = new URL(req.url ?? "/", "http://recorder");
    const auth = req.headers.authorization;
    const recorded: TelnyxRecordedRequest = {
      method: req.method ?? "GET",
      path: `/v2${url.pathname}`,
      query: Object.fromEntries(url.searchParams),
      json: raw.length > 0 ? (JSON.parse(raw) as unknown) : undefined,
      headers: flat(req.headers),
      ...(auth?.startsWith("Bearer ") ? { apiKey: auth.slice(7) } : {}),
      receivedAt: Date.now(),
      response: { status: 0, body: "" },
    };
    const accounts = this.options.accounts;
    const known = !accounts || (recorded.apiKey !== undefined && recorded.apiKey in accounts);
    const spec: TelnyxStandInResponse = known ? (this.queue.shift() ?? { status: 200 }) : { status: 401 };
    if (spec.delayMs) await new Promise((r) => setTimeout(r, spec.delayMs));
    const headers: Record<string, string> = { "content-type": "application/json", ...spec.headers };
    if (spec.rateLimitReset !== undefined) headers["x-ratelimit-reset"] = String(spec.rateLimitReset);
    let body: string;
    if (spec.status >= 400) {
      const d = DEFAULT_ERRORS[spec.status] ?? {
        code: spec.status >= 500 ? "10007" : "10015",
        title: "Unexpected error",
      };
      body = errorsBody(spec.code ?? d.code, spec.title ?? d.title, spec.detail);
    } else {
      body = JSON.stringify(this.resourceFor(recorded));
    }
    recorded.response = { status: spec.status, body };
    this.push(recorded);
    if (spec.hangUp) {
      req.socket.destroy();
      return;
    }
    res.writeHead(spec.status, headers);
    res.end(body);
  }

  private resourceFor(r: TelnyxRecordedRequest): unknown {
    const now = new Date().toISOString();
    if (r.method === "GET" && r.path === "/v2/phone_numbers") {
      const digits = r.query["filter[phone_number]"];
      const owned = (this.options.accounts?.[r.apiKey ?? ""] ?? []).filter(
        (n) => digits === undefined || n.replace(/\D/g, "").includes(digits),
      );
      return {
        data: owned.map((n, i) => ({
          id: String(1293384261075731000 + i),
          record_type: "phone_number",
          phone_number: n,
          country_iso_alpha2: "US",
          status: "active",
          tags: [],
          external_pin: null,
          created_at: now,
          purchased_at: now,
          phone_number_type: "local",
          deletion_lock_enabled: false,
        })),
        meta: { total_pages: 1, total_results: owned.length, page_number: 1, page_size: 20 },
      };
    }
    const json = (r.json ?? {}) as {
      from?: string;
      to?: string;
      text?: string;
      media_urls?: string[];
      webhook_url?: string;
    };
    const media = json.media_urls ?? [];
    return {
      data: {
        record_type: "message",
        direction: "outbound",
        id: randomUUID(),
        type: media.length > 0 ? "MMS" : "SMS",
        messaging_profile_id: "4001767e-ce0f-4cae-9d5f-0d5e636e7809",
        organization_id: "9cb7fbb4-3e41-4bdc-a6d7-0b7f1a6c2c7e",
        from: { phone_number: json.from ?? "", carrier: "Telnyx", line_type: "VoIP" },
        to: [
          { phone_number: json.to ?? "", status: "queued", carrier: "T-Mobile USA", line_type: "Wireless" },
        ],
        text: json.text ?? "",
        media: media.map((url) => ({ url, content_type: null, sha256: null, size: null })),
        webhook_url: json.webhook_url ?? null,
        webhook_failover_url: null,
        encoding: "GSM-7",
        parts: 1,
        tags: [],
        cost: null,
        received_at: now,
        sent_at: null,
        completed_at: null,
        valid_until: null,
        errors: [],
      },
    };
  }

  private push(r: TelnyxRecordedRequest): void {
    this.requests.push(r);
    const matched = this.waiters.filter((w) => w.pred(r));
    this.waiters = this.waiters.filter((w) => !matched.includes(w));
    for (const w of matched) w.resolve(r);
  }

  waitForRequest(
    pred: (r: TelnyxRecordedRequest) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<TelnyxRecordedRequest> {
    const found = this.requests.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (r: TelnyxRecordedRequest) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const seen = this.requests.map((r) => `  ${r.method} ${r.path} ${JSON.stringify(r.json)}`).join("\n");
        reject(
          new Error(
            `Telnyx stand-in: no matching request within ${timeoutMs} ms\nrecorded:\n${seen || "  (none)"}\nvalidation failures:\n${this.validationFailures().join("\n") || "  (none)"}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  enqueueResponse(r: TelnyxStandInResponse): void {
    this.queue.push(r);
  }

  validationFailures(): string[] {
    return [...this.failures, ...webhookBuildFailures()];
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

/** Starts prism (validating proxy of Telnyx's spec) with a recorder behind it and a tap in front. */
export async function startTelnyxStandIn(options: TelnyxStandInOptions = {}): Promise<TelnyxStandIn> {
  const spec = telnyxSpecPath();
  if (!spec) throw new Error("Telnyx's OpenAPI spec is not at ../shared/telnyx-oai");
  const dir = makeTempDir("telnyx");
  const ports = { tap: await freePort(), prism: await freePort(), recorder: await freePort() };
  const standIn = new StandIn(dir, ports, options);
  try {
    await standIn.start(spec);
  } catch (err) {
    await standIn.stop().catch(() => undefined);
    throw err;
  }
  return standIn;
}
