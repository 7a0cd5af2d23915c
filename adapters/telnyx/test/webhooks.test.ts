import { afterEach, describe, expect, it, vi } from "vitest";
import { WebhookAuthError, WebhookInputError, type WebhookRequest } from "../../../src/core/adapter.js";
import {
  deliveryEvent,
  inboundMessageEvent,
  telnyxKeyPair,
  telnyxSignatureHeaders,
  webhookBuildFailures,
} from "../../../test/harness/telnyx-events.js";
import { silentLogger } from "../../twilio/test/helpers.js";
import { createTelnyxWebhooks } from "../webhooks.js";

const gateway = telnyxKeyPair();
const other = telnyxKeyPair();
const USER = "+15550001111";
const PHONE = "+15557654321";

function request(rawBody: string, headers: Record<string, string>): WebhookRequest {
  return { publicUrl: "https://gw.example.org/webhooks/tx/message", headers, form: {}, rawBody };
}

function signed(rawBody: string, key = gateway.privateKey, timestamp?: number): WebhookRequest {
  return request(rawBody, {
    "content-type": "application/json",
    ...telnyxSignatureHeaders(key, rawBody, timestamp),
  });
}

const [route] = createTelnyxWebhooks(gateway.publicKey, silentLogger());
if (!route) throw new Error("no route");

afterEach(() => {
  vi.useRealTimers();
  expect(webhookBuildFailures()).toEqual([]);
});

describe("Telnyx webhook signatures", () => {
  const body = inboundMessageEvent({ from: PHONE, to: USER, text: "hello" });

  it("a correctly signed webhook is accepted", async () => {
    const { events, ack } = await route.handle(signed(body));
    expect(ack.status).toBe(200);
    expect(events).toHaveLength(1);
  });

  it("a forged signature, another key, a changed body, no signature: refused", async () => {
    const forged = request(body, {
      ...telnyxSignatureHeaders(gateway.privateKey, body),
      "telnyx-signature-ed25519": Buffer.alloc(64, 7).toString("base64"),
    });
    await expect(route.handle(forged)).rejects.toBeInstanceOf(WebhookAuthError);
    await expect(route.handle(signed(body, other.privateKey))).rejects.toBeInstanceOf(WebhookAuthError);
    const changed = { ...signed(body), rawBody: body.replace("hello", "hellO") };
    await expect(route.handle(changed)).rejects.toBeInstanceOf(WebhookAuthError);
    await expect(route.handle(request(body, {}))).rejects.toBeInstanceOf(WebhookAuthError);
  });

  it("a timestamp 301 s old (or ahead) is refused, 299 s is not", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(route.handle(signed(body, gateway.privateKey, now - 301))).rejects.toThrow(
      /more than 300 s/,
    );
    await expect(route.handle(signed(body, gateway.privateKey, now + 301))).rejects.toBeInstanceOf(
      WebhookAuthError,
    );
    await expect(route.handle(signed(body, gateway.privateKey, now - 299))).resolves.toBeDefined();
  });

  it("a replay of a valid webhook after 301 s is refused", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const valid = signed(body);
    await expect(route.handle(valid)).resolves.toBeDefined();
    vi.setSystemTime(Date.now() + 301_000);
    await expect(route.handle(valid)).rejects.toBeInstanceOf(WebhookAuthError);
  });

  it("an authentic body that is no Telnyx event is malformed (400), not forbidden", async () => {
    await expect(route.handle(signed("[1,2]"))).rejects.toBeInstanceOf(WebhookInputError);
    await expect(route.handle(request("[1,2]", {}))).rejects.toBeInstanceOf(WebhookAuthError);
  });
});

describe("Telnyx events", () => {
  it("message.received -> a message with every media URL", async () => {
    const id = "4d8a6b8e-2e0c-4d1e-9a77-1f2a3b4c5d6e";
    const body = inboundMessageEvent({
      id,
      from: PHONE,
      to: USER,
      text: "look",
      media: [{ url: "https://media.telnyx.example/a.jpg" }, { url: "https://media.telnyx.example/b c.png" }],
    });
    const { events } = await route.handle(signed(body));
    expect(events).toEqual([
      {
        kind: "message",
        providerMessageId: id,
        from: PHONE,
        to: USER,
        body: "look",
        mediaUrls: ["https://media.telnyx.example/a.jpg", "https://media.telnyx.example/b%20c.png"],
        occurredAt: expect.any(Number),
      },
    ]);
  });

  const id = "0b7c9a3e-8d4f-4e21-b6c5-3a2f1e0d9c8b";
  const report = (
    eventType: "message.sent" | "message.finalized",
    status: Parameters<typeof deliveryEvent>[0]["status"],
    errors?: { code: string; title: string }[],
  ) => deliveryEvent({ id, from: USER, to: PHONE, eventType, status, ...(errors ? { errors } : {}) });

  it("message.finalized delivered -> delivered", async () => {
    const { events } = await route.handle(signed(report("message.finalized", "delivered")));
    expect(events).toEqual([{ kind: "status", providerMessageId: id, status: "delivered" }]);
  });

  it.each(["delivery_failed", "sending_failed", "delivery_unconfirmed"] as const)(
    "message.finalized %s -> failed, naming the errors[] code",
    async (status) => {
      const { events } = await route.handle(
        signed(report("message.finalized", status, [{ code: "40001", title: "Not routable" }])),
      );
      expect(events).toEqual([
        {
          kind: "status",
          providerMessageId: id,
          status: "failed",
          errorCode: "40001",
          condition: "not-acceptable",
          reason: "Telnyx error 40001: the recipient is a landline or a number that cannot receive SMS",
        },
      ]);
    },
  );

  it("message.sent (also late, after message.finalized) produces no event", async () => {
    expect((await route.handle(signed(report("message.finalized", "delivered")))).events).toHaveLength(1);
    expect((await route.handle(signed(report("message.sent", "sent")))).events).toEqual([]);
    expect((await route.handle(signed(report("message.finalized", "sending")))).events).toEqual([]);
  });

  it("a self-service user's key vouches only for her own number, and names her account", async () => {
    const own = telnyxKeyPair();
    const [userRoute] = createTelnyxWebhooks(gateway.publicKey, silentLogger(), async (number) =>
      number === USER ? { apiKey: "KEYuser", publicKey: own.publicKey } : undefined,
    );
    if (!userRoute) throw new Error("no route");
    const mine = report("message.finalized", "delivered");
    const { events } = await userRoute.handle(signed(mine, own.privateKey));
    expect(events).toEqual([
      { kind: "status", providerMessageId: id, status: "delivered", signedBy: own.publicKey },
    ]);
    const notHers = deliveryEvent({
      id,
      from: "+15550002222",
      to: PHONE,
      eventType: "message.finalized",
      status: "delivered",
    });
    await expect(userRoute.handle(signed(notHers, own.privateKey))).rejects.toBeInstanceOf(WebhookAuthError);
    // The gateway's key still signs for any number, as the gateway's own account.
    expect((await userRoute.handle(signed(mine))).events).toEqual([
      { kind: "status", providerMessageId: id, status: "delivered" },
    ]);
  });
});
