/**
 * The loop network's stand-in: an HTTP server on a free port that speaks wire.ts. It records every
 * send (and what it found wrong with any request), answers what a test queued (a permanent error,
 * a "try again after"), checks mailbox tokens for registrations, and posts signed JSON webhooks
 * to the gateway as the network would.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import { freePort, LOOPBACK } from "../../harness/ports.js";
import type { SentMessage } from "../descriptor.js";
import { loopSignature, SIGNATURE_HEADER, sendRequestSchema, type WebhookEvent } from "./wire.js";

export interface QueuedAnswer {
  readonly status: number;
  readonly code?: string;
  readonly message?: string;
  readonly retryAfterSeconds?: number;
}

export interface LoopStandIn {
  readonly url: string;
  readonly sent: SentMessage[];
  readonly problems: string[];
  /** Mailboxes registrations are checked against: address -> token. */
  readonly mailboxes: Map<string, string>;
  /** The answer to the next send (FIFO); default 201 with a fresh id. */
  enqueue(answer: QueuedAnswer): void;
  /** POSTs `event` to `url` signed with `secret`; `signature` forges it, null leaves it out. */
  deliver(url: string, event: WebhookEvent, secret: string, signature?: string | null): Promise<number>;
  stop(): Promise<void>;
}

const newId = () => `LP${randomBytes(12).toString("hex")}`;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function answer(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export async function startLoopStandIn(apiKey: string): Promise<LoopStandIn> {
  const sent: SentMessage[] = [];
  const problems: string[] = [];
  const mailboxes = new Map<string, string>();
  const queue: QueuedAnswer[] = [];

  async function onSend(req: http.IncomingMessage, res: http.ServerResponse) {
    const at = Date.now();
    const raw = await readBody(req);
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      problems.push("a send without the operator's API key");
      return answer(res, 401, { error: { code: "unauthorized", message: "wrong API key" } });
    }
    const parsed = sendRequestSchema.safeParse(parseJson(raw));
    if (!parsed.success) {
      problems.push(`a malformed send: ${parsed.error.message}`);
      return answer(res, 400, { error: { code: "malformed", message: parsed.error.message } });
    }
    const { from, to, text, media } = parsed.data;
    const next = queue.shift();
    if (next !== undefined && next.status !== 201) {
      sent.push({ to, from, body: text, mediaUrls: media, providerId: "", at });
      const code = next.code ?? `http-${next.status}`;
      const retry: Record<string, string> =
        next.retryAfterSeconds === undefined ? {} : { "retry-after": String(next.retryAfterSeconds) };
      return answer(res, next.status, { error: { code, message: next.message ?? "refused" } }, retry);
    }
    const id = newId();
    sent.push({ to, from, body: text, mediaUrls: media, providerId: id, at });
    return answer(res, 201, { id });
  }

  function onMailbox(req: http.IncomingMessage, res: http.ServerResponse, address: string) {
    const token = mailboxes.get(address);
    if (token === undefined)
      return answer(res, 404, { error: { code: "no-such-mailbox", message: address } });
    if (req.headers.authorization !== `Bearer ${token}`) {
      return answer(res, 401, { error: { code: "unauthorized", message: "wrong mailbox token" } });
    }
    return answer(res, 200, { address });
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (req.method === "POST" && path === "/v1/messages") return void onSend(req, res);
    const mailbox = /^\/v1\/mailboxes\/([^/]+)$/.exec(path);
    if (req.method === "GET" && mailbox?.[1]) return onMailbox(req, res, decodeURIComponent(mailbox[1]));
    problems.push(`an unknown request: ${req.method} ${path}`);
    return answer(res, 404, { error: { code: "not-found", message: path } });
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, LOOPBACK, () => resolve());
  });
  return {
    url: `http://${LOOPBACK}:${port}`,
    sent,
    problems,
    mailboxes,
    enqueue: (a) => queue.push(a),
    async deliver(url, event, secret, signature) {
      const body = JSON.stringify(event);
      const sig = signature === undefined ? loopSignature(secret, body) : signature;
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(sig === null ? {} : { [SIGNATURE_HEADER]: sig }) },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      await res.text();
      return res.status;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
