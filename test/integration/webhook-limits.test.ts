/**
 * The webhook server's limits on a real server (free port): slow-body connections are closed
 * within the request timeout, a connection over the cap is refused at once, a signed webhook is
 * still served meanwhile, and a saturated event loop sheds load with 503 + Retry-After (providers
 * retry on 5xx) while /healthz keeps answering.
 */
import http from "node:http";
import net from "node:net";
import twilio from "twilio";
import { afterEach, describe, expect, it } from "vitest";
import { createTwilioWebhooks } from "../../adapters/twilio/webhooks.js";
import type { InboundEvent } from "../../src/core/adapter.js";
import { buildHttpServer, listen, type WebhookServerLimits } from "../../src/http/server.js";
import { freePort } from "../harness/ports.js";
import { silentLogger } from "../harness/silent-logger.js";
import { waitFor } from "../harness/wait.js";

const TOKEN = "webhook-limits-token";
const LIMITS: WebhookServerLimits = {
  headersTimeoutMs: 2_000,
  requestTimeoutMs: 3_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 1_000,
  maxRequestsPerSocket: 100,
  maxConnections: 302,
  maxEventLoopDelayMs: 0,
  retryAfterSeconds: 7,
};

async function start(limits: WebhookServerLimits) {
  const port = await freePort();
  const received: InboundEvent[] = [];
  const publicUrl = `http://127.0.0.1:${port}`;
  const app = buildHttpServer({
    publicUrl,
    bodyLimitBytes: 256 * 1024,
    limits,
    gateways: [
      {
        id: "sms",
        routes: createTwilioWebhooks(TOKEN, silentLogger),
        ingest: async (events) => void received.push(...events),
      },
    ],
    logger: silentLogger,
    ready: async () => ({ ok: true, detail: {} }),
  });
  await listen(app, `127.0.0.1:${port}`);
  const connections = () =>
    new Promise<number>((resolve, reject) =>
      app.server.getConnections((e, n) => (e ? reject(e) : resolve(n))),
    );
  return { app, port, publicUrl, received, connections };
}

/** A signed inbound-message webhook on its own connection (closed after the answer). */
function webhook(
  port: number,
  publicUrl: string,
  body: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  const params = {
    MessageSid: `SM${"a".repeat(32)}`,
    AccountSid: `AC${"0".repeat(32)}`,
    From: "+15557654321",
    To: "+15550001111",
    Body: body,
    NumMedia: "0",
  };
  const form = new URLSearchParams(params).toString();
  const signature = twilio.getExpectedTwilioSignature(TOKEN, `${publicUrl}/webhooks/sms/message`, params);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/webhooks/sms/message",
        agent: false,
        headers: {
          connection: "close",
          "content-type": "application/x-www-form-urlencoded",
          "content-length": Buffer.byteLength(form),
          "x-twilio-signature": signature,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(form);
  });
}

/** A connection that sends headers and the first bytes of a 100 KB body, then a byte now and then. */
function slowBody(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  const state = { closed: false, openedAt: Date.now(), closedAt: 0, answer: "" };
  socket.on("connect", () => {
    socket.write(
      "POST /webhooks/sms/message HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nBody=",
    );
  });
  const drip = setInterval(() => {
    if (!socket.destroyed) socket.write("a");
  }, 250);
  socket.on("data", (d) => {
    state.answer += d.toString();
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    clearInterval(drip);
    state.closed = true;
    state.closedAt = Date.now();
  });
  return { socket, state };
}

/** A connection asking GET /healthz: "answered" or "closed" (refused) without an answer. */
function probe(port: number): Promise<"answered" | "closed"> {
  return new Promise((resolve) => {
    let data = "";
    const socket = net.connect(port, "127.0.0.1", () =>
      socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    socket.on("data", (d) => {
      data += d.toString();
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(data.startsWith("HTTP/1.1 200") ? "answered" : "closed"));
  });
}

describe("webhook server limits", () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it("closes 300 slow-body connections within the request timeout, refuses one over the cap, serves a webhook meanwhile", async () => {
    const server = await start(LIMITS);
    const slow = Array.from({ length: 300 }, () => slowBody(server.port));
    stop = async () => {
      for (const s of slow) s.socket.destroy();
      await server.app.close();
    };
    await waitFor(async () => (await server.connections()) === 300, { description: "300 open connections" });

    const served = await webhook(server.port, server.publicUrl, "still served");
    expect(served.status).toBe(200);
    expect(server.received).toMatchObject([{ kind: "message", body: "still served" }]);
    await waitFor(async () => (await server.connections()) === 300, {
      description: "the webhook's connection closed",
    });

    slow.push(slowBody(server.port), slowBody(server.port));
    await waitFor(async () => (await server.connections()) === LIMITS.maxConnections, {
      description: "the cap reached",
    });
    expect(await probe(server.port)).toBe("closed");

    // Every slow connection is closed by the server, within the request timeout (checked every second).
    await waitFor(() => slow.every((s) => s.state.closed), {
      timeoutMs: LIMITS.requestTimeoutMs + 5_000,
      description: "the slow connections closed by the server",
    });
    const longest = Math.max(...slow.map((s) => s.state.closedAt - s.state.openedAt));
    process.stdout.write(
      `MEASURE webhook-limits: 302 slow-body connections closed after at most ${longest} ms\n`,
    );
    expect(longest).toBeLessThan(LIMITS.requestTimeoutMs + 2_500);
    expect(slow.filter((s) => s.state.answer.startsWith("HTTP/1.1 408")).length).toBeGreaterThan(0);
    expect(await probe(server.port)).toBe("answered");
  }, 30_000);

  it("sheds load with 503 and Retry-After while the event loop lags, and /healthz still answers", async () => {
    const server = await start({ ...LIMITS, maxEventLoopDelayMs: 30, pressureSampleIntervalMs: 20 });
    stop = () => server.app.close();
    const shed = await waitFor(
      async () => {
        const until = Date.now() + 300;
        while (Date.now() < until) {
          // Saturate the event loop (the server runs in this process).
        }
        const [hook, health] = await Promise.all([
          webhook(server.port, server.publicUrl, "under pressure"),
          probe(server.port),
        ]);
        return hook.status === 503 ? { hook, health } : false;
      },
      { timeoutMs: 15_000, intervalMs: 10, description: "a 503 while the event loop lags" },
    );
    expect(shed.hook.headers["retry-after"]).toBe(String(LIMITS.retryAfterSeconds));
    expect(shed.health).toBe("answered");
    // Once the loop is free again, webhooks are served.
    await waitFor(async () => (await webhook(server.port, server.publicUrl, "after")).status === 200, {
      description: "webhooks served again",
    });
  }, 30_000);
});
