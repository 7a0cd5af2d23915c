import { randomUUID } from "node:crypto";
import twilio from "twilio";
import { afterEach, describe, expect, it } from "vitest";
import { WebhookAuthError, WebhookInputError, type WebhookRequest } from "../../../src/core/adapter.js";
import { PermanentError, RetryableError } from "../../../src/core/errors.js";
import { SIGNALWIRE_FLAVOUR } from "../flavour.js";
import { createSignalwireAdapter } from "../signalwire.js";
import { signalwireConfigSchema } from "../signalwire-config.js";
import { createTwilioWebhooks } from "../webhooks.js";
import { type FakeTwilio, silentLogger, startFakeTwilio, testDeps } from "./helpers.js";

const PROJECT = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const SIGNING_KEY = "PSK_signing_key_test";
const API_TOKEN = "PT_api_token_test";
const URL_NO_PORT = "https://gw.example.org/webhooks/sw/message";
const URL_PORT = "https://gw.example.org:443/webhooks/sw/message";

const routes = createTwilioWebhooks(SIGNING_KEY, silentLogger(), undefined, SIGNALWIRE_FLAVOUR);
const message = routes.find((r) => r.path === "message");

function form(id: string = randomUUID()): Record<string, string> {
  return {
    MessageSid: id,
    AccountSid: PROJECT,
    From: "+15557654321",
    To: "+15550001111",
    Body: "hi",
    NumMedia: "0",
  };
}

function request(url: string, f: Record<string, string>, headers: Record<string, string>): WebhookRequest {
  return { publicUrl: url, headers, form: f, rawBody: new URLSearchParams(f).toString() };
}

const sign = (url: string, f: Record<string, string>, key = SIGNING_KEY) =>
  twilio.getExpectedTwilioSignature(key, url, f);

describe("SignalWire webhooks", () => {
  it("accepts X-SignalWire-Signature made with the Signing Key, and X-Twilio-Signature as its alias", async () => {
    const f = form();
    for (const name of ["x-signalwire-signature", "x-twilio-signature"]) {
      const out = await message?.handle(request(URL_NO_PORT, f, { [name]: sign(URL_NO_PORT, f) }));
      expect(out?.events).toEqual([
        expect.objectContaining({ kind: "message", providerMessageId: f.MessageSid }),
      ]);
    }
  });

  it("accepts the URL signed with and without an explicit default port", async () => {
    const f = form();
    for (const signed of [URL_NO_PORT, URL_PORT]) {
      for (const configured of [URL_NO_PORT, URL_PORT]) {
        const sig = sign(signed, f);
        const out = await message?.handle(request(configured, f, { "x-signalwire-signature": sig }));
        expect(out?.events).toHaveLength(1);
      }
    }
  });

  it("refuses a missing signature, one made with another key, and a changed field", async () => {
    const f = form();
    await expect(message?.handle(request(URL_NO_PORT, f, {}))).rejects.toThrow(
      /missing X-SignalWire-Signature/,
    );
    const other = { "x-signalwire-signature": sign(URL_NO_PORT, f, "another-key") };
    await expect(message?.handle(request(URL_NO_PORT, f, other))).rejects.toBeInstanceOf(WebhookAuthError);
    const good = { "x-signalwire-signature": sign(URL_NO_PORT, f) };
    await expect(
      message?.handle(request(URL_NO_PORT, { ...f, Body: "changed" }, good)),
    ).rejects.toBeInstanceOf(WebhookAuthError);
  });

  it("takes UUID message ids and refuses Twilio's SM ids", async () => {
    const f = form(`SM${"0123456789abcdef".repeat(2)}`);
    const req = request(URL_NO_PORT, f, { "x-signalwire-signature": sign(URL_NO_PORT, f) });
    await expect(message?.handle(req)).rejects.toThrow(WebhookInputError);
    await expect(message?.handle(req)).rejects.toThrow(
      /SignalWire message webhook: MessageSid: must be a UUID/,
    );
  });
});

describe("SignalWire config", () => {
  it("wants a UUID Project ID, not an AC Account SID", () => {
    const base = { spaceUrl: "https://example.signalwire.com", apiToken: "t", signingKey: "k" };
    expect(signalwireConfigSchema.safeParse({ ...base, projectId: PROJECT }).success).toBe(true);
    expect(signalwireConfigSchema.safeParse({ ...base, projectId: `AC${"0".repeat(32)}` }).success).toBe(
      false,
    );
  });
});

describe("SignalWire sends", () => {
  let fake: FakeTwilio | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  const adapterFor = (spaceUrl: string) =>
    createSignalwireAdapter(
      {
        gatewayId: "sw",
        numberCheck: "possible",
        signalwire: signalwireConfigSchema.parse({
          spaceUrl,
          projectId: PROJECT,
          apiToken: API_TOKEN,
          signingKey: SIGNING_KEY,
        }),
      },
      testDeps(),
    );
  const msg = {
    messageId: "m1",
    from: "+15550001111",
    to: "+15557654321",
    body: "hello",
    mediaUrls: ["https://x.example/a.jpg"],
  };

  it("posts Twilio's form to the space's LaML path with the project's Basic credentials, and keeps the UUID sid", async () => {
    const sid = randomUUID();
    fake = await startFakeTwilio(() => ({ status: 201, body: { sid, status: "queued" } }));
    const adapter = adapterFor(fake.url);
    const result = await adapter.send(
      { ...msg, statusCallbackUrl: "https://gw/s" },
      { number: "+15550001111" },
    );
    await adapter.close?.();
    expect(result).toEqual({ providerMessageId: sid });
    const r = fake.requests[0];
    expect(r?.method).toBe("POST");
    expect(r?.path).toBe(`/api/laml/2010-04-01/Accounts/${PROJECT}/Messages.json`);
    expect(r?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${PROJECT}:${API_TOKEN}`).toString("base64")}`,
    );
    expect(Object.fromEntries(r?.form ?? [])).toMatchObject({
      To: msg.to,
      From: "+15550001111",
      Body: "hello",
    });
    expect(r?.form.getAll("MediaUrl")).toEqual(msg.mediaUrls);
    expect(r?.form.get("StatusCallback")).toBe("https://gw/s");
  });

  it("maps a 400 with a code to a permanent error, and a 429 to a retry", async () => {
    const answers = [
      { status: 400, body: { code: 21211, message: "Invalid 'To' Phone Number", status: 400 } },
      { status: 429, headers: { "retry-after": "3" }, body: { code: 20429, message: "Too Many Requests" } },
    ];
    fake = await startFakeTwilio(() => answers.shift() ?? null);
    const adapter = adapterFor(fake.url);
    await expect(adapter.send(msg, { number: "+15550001111" })).rejects.toBeInstanceOf(PermanentError);
    await expect(adapter.send(msg, { number: "+15550001111" })).rejects.toBeInstanceOf(RetryableError);
    await adapter.close?.();
  });

  it("names SignalWire, never Twilio, in what its errors say", async () => {
    const answers = [
      { status: 400, body: { code: 21211, message: "Invalid 'To' Phone Number", status: 400 } },
      { status: 401, body: {} },
      { status: 429, body: { code: 20429, message: "Too Many Requests" } },
    ];
    fake = await startFakeTwilio(() => answers.shift() ?? null);
    const adapter = adapterFor(fake.url);
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const err = await adapter.send(msg, { number: "+15550001111" }).catch((e: unknown) => e);
      if (err instanceof RetryableError) texts.push(err.message, err.userReason ?? "");
      else if (err instanceof Error) texts.push(err.message);
    }
    await adapter.close?.();
    const closed = fake.url;
    await fake.close();
    fake = undefined;
    const unreachable = await adapterFor(closed)
      .send(msg, { number: "+15550001111" })
      .catch((e: unknown) => e);
    if (unreachable instanceof RetryableError) texts.push(unreachable.userReason ?? "");
    expect(texts).toEqual([
      "SignalWire error 21211: Invalid 'To' Phone Number",
      "SignalWire error 20003: authentication failed (the gateway's SignalWire credentials were rejected; the operator must fix them)",
      "SignalWire error 20429 (HTTP 429): Too Many Requests",
      "SignalWire error 20429 (HTTP 429): Too Many Requests",
      "SignalWire could not be reached",
    ]);
  });
});

describe("SignalWire delivery reports", () => {
  it("name SignalWire in the reason of a failed delivery", async () => {
    const status = routes.find((r) => r.path === "status");
    const id = randomUUID();
    const f = { MessageSid: id, AccountSid: PROJECT, MessageStatus: "undelivered", ErrorCode: "30003" };
    const url = "https://gw.example.org/webhooks/sw/status";
    const out = await status?.handle(request(url, f, { "x-signalwire-signature": sign(url, f) }));
    expect(out?.events).toEqual([
      expect.objectContaining({
        status: "failed",
        reason: "SignalWire error 30003: unreachable destination handset (switched off or out of coverage)",
      }),
    ]);
    const other = { ...f, ErrorCode: "39999" };
    const unknown = await status?.handle(request(url, other, { "x-signalwire-signature": sign(url, other) }));
    expect(unknown?.events).toEqual([
      expect.objectContaining({ reason: "SignalWire error 39999: message undelivered" }),
    ]);
  });
});
