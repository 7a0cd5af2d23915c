/** Test helpers: a silent logger and a tiny local HTTP server standing in for Twilio's REST API. */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { AdapterDeps, InboundEvent } from "../../../src/core/adapter.js";
import type { Logger } from "../../../src/core/logger.js";

export const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
export const AUTH_TOKEN = "test-auth-token";

export function silentLogger(): Logger {
  const noop = () => {};
  const logger: Logger = {
    trace: noop,
    debug: noop,
    info: noop,
    warn: noop,
    error: noop,
    fatal: noop,
    child: () => logger,
  };
  return logger;
}

export function testDeps(emitted: InboundEvent[][] = []): AdapterDeps {
  return {
    logger: silentLogger(),
    emit: async (events) => {
      emitted.push(events);
    },
  };
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly form: URLSearchParams;
}

export interface CannedAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

export interface FakeTwilio {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 answering every request with `answer(request)`; null never answers. */
export async function startFakeTwilio(
  answer: (req: RecordedRequest) => CannedAnswer | null,
): Promise<FakeTwilio> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        form: new URLSearchParams(Buffer.concat(chunks).toString("utf8")),
      };
      requests.push(recorded);
      const canned = answer(recorded);
      if (canned === null) return;
      res.writeHead(canned.status, { "content-type": "application/json", ...canned.headers });
      res.end(canned.body === undefined ? "" : JSON.stringify(canned.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A Message resource as Twilio answers a successful create (the fields the SDK reads). */
export function messageResource(sid: string, form: URLSearchParams): Record<string, unknown> {
  return {
    sid,
    account_sid: ACCOUNT_SID,
    to: form.get("To"),
    from: form.get("From"),
    body: form.get("Body") ?? "",
    status: "queued",
    num_segments: "1",
    num_media: String(form.getAll("MediaUrl").length),
    direction: "outbound-api",
    api_version: "2010-04-01",
    date_created: "Thu, 24 Aug 2023 05:01:45 +0000",
    date_updated: "Thu, 24 Aug 2023 05:01:45 +0000",
    date_sent: null,
    error_code: null,
    error_message: null,
    price: null,
    price_unit: "USD",
    messaging_service_sid: null,
    uri: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}.json`,
    subresource_uris: { media: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}/Media.json` },
  };
}
