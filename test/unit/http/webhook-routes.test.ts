/**
 * Webhook routes of any shape: each declares the media types it accepts and gets the raw body
 * (plus the parsed fields only when it is a form); any other media type is answered 415 and
 * nothing reaches the route or the queue.
 */
import { describe, expect, it } from "vitest";
import {
  FORM_CONTENT_TYPE,
  type InboundEvent,
  JSON_CONTENT_TYPE,
  type WebhookRequest,
  type WebhookRoute,
} from "../../../src/core/adapter.js";
import { buildHttpServer, type WebhookServerLimits } from "../../../src/http/server.js";
import { silentLogger } from "../../harness/silent-logger.js";

const LIMITS: WebhookServerLimits = {
  headersTimeoutMs: 2_000,
  requestTimeoutMs: 3_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 1_000,
  maxRequestsPerSocket: 100,
  maxConnections: 100,
  maxEventLoopDelayMs: 0,
  retryAfterSeconds: 1,
};

function setup() {
  const seen: { route: string; req: WebhookRequest }[] = [];
  const ingested: InboundEvent[] = [];
  const route = (path: string, accepts: string[]): WebhookRoute => ({
    path,
    accepts,
    carriesReports: false,
    async handle(req) {
      seen.push({ route: path, req });
      const event: InboundEvent = {
        kind: "message",
        providerMessageId: `${path}-${seen.length}`,
        from: "a",
        to: "b",
        body: req.rawBody,
        mediaUrls: [],
      };
      return { events: [event], ack: { status: 200, contentType: "text/plain", body: "ok\n" } };
    },
  });
  const app = buildHttpServer({
    publicUrl: "https://gw.example",
    bodyLimitBytes: 64 * 1024,
    limits: LIMITS,
    gateways: [
      {
        id: "net",
        routes: [route("json", [JSON_CONTENT_TYPE]), route("form", [FORM_CONTENT_TYPE])],
        ingest: async (events) => void ingested.push(...events),
      },
    ],
    logger: silentLogger,
    ready: async () => ({ ok: true, detail: {} }),
  });
  const post = (path: string, type: string | undefined, payload: string) =>
    app.inject({
      method: "POST",
      url: `/webhooks/net/${path}`,
      headers: type === undefined ? {} : { "content-type": type },
      payload,
    });
  return { app, seen, ingested, post };
}

describe("webhook routes", () => {
  it("hands a JSON route the raw body, byte for byte, and no form", async () => {
    const { post, seen, ingested } = setup();
    const body = '{ "data": {"id": "x1",  "text": "hi"} }';
    const res = await post("json", "application/json; charset=utf-8", body);
    expect(res.statusCode).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.req.rawBody).toBe(body);
    expect(seen[0]?.req.form).toBeUndefined();
    expect(ingested.map((e) => e.providerMessageId)).toEqual(["json-1"]);
  });

  it("hands a form route the raw body and every field", async () => {
    const { post, seen } = setup();
    const res = await post("form", FORM_CONTENT_TYPE, "Body=hi&To=%2B1555&To=x");
    expect(res.statusCode).toBe(200);
    expect(seen[0]?.req.rawBody).toBe("Body=hi&To=%2B1555&To=x");
    expect(seen[0]?.req.form).toEqual({ Body: "hi", To: ["+1555", "x"] });
  });

  it.each([
    ["json", FORM_CONTENT_TYPE, "a=b", "expected application/json\n"],
    ["form", JSON_CONTENT_TYPE, '{"a":1}', "expected application/x-www-form-urlencoded\n"],
    ["form", "text/plain", "a=b", "expected application/x-www-form-urlencoded\n"],
    ["json", undefined, "{}", "expected application/json\n"],
  ])("answers %s with %s 415 and enqueues nothing", async (path, type, payload, text) => {
    const { post, seen, ingested } = setup();
    const res = await post(path, type, payload);
    expect(res.statusCode).toBe(415);
    expect(res.body).toBe(text);
    expect(seen).toHaveLength(0);
    expect(ingested).toHaveLength(0);
  });

  it("answers a JSON body that is not JSON with 400, and enqueues nothing", async () => {
    const { post, seen, ingested } = setup();
    expect((await post("json", JSON_CONTENT_TYPE, '{"a": ')).statusCode).toBe(400);
    expect(seen).toHaveLength(0);
    expect(ingested).toHaveLength(0);
  });
});
