/**
 * The Telnyx adapter against the Telnyx stand-in (prism validating every request and answer
 * against Telnyx's OpenAPI description): sends, error answers, bring-your-own registration and
 * the operator's account check.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NetworkAdapter } from "../../../src/core/adapter.js";
import { OptedOutError, PermanentError, Refusal, RetryableError } from "../../../src/core/errors.js";
import { telnyxKeyPair, telnyxSpecPath } from "../../../test/harness/telnyx-events.js";
import { startTelnyxStandIn, type TelnyxStandIn } from "../../../test/harness/telnyx-standin.js";
import { testDeps } from "../../twilio/test/helpers.js";
import { createTelnyxAdapter } from "../index.js";

const GATEWAY_KEY = "KEYgateway0001";
const USER_KEY = "KEYuser0002";
const GATEWAY_NUMBER = "+15550001111";
const USER_NUMBER = "+15550007777";
const PHONE = "+15557654321";
const keys = telnyxKeyPair();
const userKeys = telnyxKeyPair();

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

describe.skipIf(!telnyxSpecPath())("Telnyx adapter against the stand-in", () => {
  let standIn: TelnyxStandIn;
  let adapter: NetworkAdapter;
  beforeAll(async () => {
    standIn = await startTelnyxStandIn({
      accounts: { [GATEWAY_KEY]: [GATEWAY_NUMBER], [USER_KEY]: [USER_NUMBER, "+15550008888"] },
    });
    adapter = createTelnyxAdapter(
      {
        gatewayId: "tx",
        numberCheck: "possible",
        telnyx: {
          apiKey: GATEWAY_KEY,
          publicKey: keys.publicKey,
          messagingProfileId: "4001767e-ce0f-4cae-9d5f-0d5e636e7809",
          apiBaseUrl: standIn.baseUrl,
          requestTimeoutMs: 5000,
        },
      },
      testDeps(),
    );
  }, 90_000);
  afterAll(async () => {
    await adapter?.close?.();
    await standIn?.stop();
  });

  it("sends POST /v2/messages with the Bearer key and a JSON body the spec accepts", async () => {
    const result = await adapter.send(
      {
        to: PHONE,
        from: GATEWAY_NUMBER,
        body: "hello",
        mediaUrls: ["https://media.example.org/a.jpg"],
        statusCallbackUrl: "https://gw.example.org/webhooks/tx/status",
        messageId: "job-1",
      },
      { number: GATEWAY_NUMBER },
    );
    const r = await standIn.waitForRequest((x) => x.method === "POST");
    expect(r.path).toBe("/v2/messages");
    expect(r.apiKey).toBe(GATEWAY_KEY);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.json).toEqual({
      from: GATEWAY_NUMBER,
      to: PHONE,
      text: "hello",
      media_urls: ["https://media.example.org/a.jpg"],
      webhook_url: "https://gw.example.org/webhooks/tx/status",
      messaging_profile_id: "4001767e-ce0f-4cae-9d5f-0d5e636e7809",
    });
    expect(result.providerMessageId).toBe((JSON.parse(r.response.body) as { data: { id: string } }).data.id);
    expect(standIn.validationFailures()).toEqual([]);
  });

  it("maps Telnyx's error answers: 40300 opt-out, 10002 bad number, 429 with x-ratelimit-reset, 5xx", async () => {
    const msg = { to: PHONE, from: GATEWAY_NUMBER, body: "x", mediaUrls: [], messageId: "job-2" };
    const account = { number: GATEWAY_NUMBER };
    standIn.enqueueResponse({ status: 400, code: "40300", title: "Blocked due to STOP message" });
    expect(await caught(adapter.send(msg, account))).toBeInstanceOf(OptedOutError);
    standIn.enqueueResponse({ status: 400, code: "10002", title: "Invalid phone number" });
    const bad = await caught(adapter.send(msg, account));
    expect(bad).toBeInstanceOf(PermanentError);
    expect((bad as PermanentError).condition).toBe("item-not-found");
    expect((bad as PermanentError).message).toBe("Telnyx error 10002: Invalid phone number");
    standIn.enqueueResponse({ status: 429, rateLimitReset: 9 });
    const slow = await caught(adapter.send(msg, account));
    expect(slow).toBeInstanceOf(RetryableError);
    expect((slow as RetryableError).retryAfterMs).toBe(9000);
    standIn.enqueueResponse({ status: 503 });
    expect(await caught(adapter.send(msg, account))).toBeInstanceOf(RetryableError);
    standIn.enqueueResponse({ status: 200, hangUp: true });
    expect(await caught(adapter.send(msg, account))).toBeInstanceOf(RetryableError);
  });

  it("a user's own account sends with her own key and without the operator's profile", async () => {
    const before = standIn.requests.length;
    await adapter.send(
      { to: PHONE, from: USER_NUMBER, body: "mine", mediaUrls: [], messageId: "job-3" },
      { number: USER_NUMBER, credentials: { apiKey: USER_KEY, publicKey: userKeys.publicKey } },
    );
    const r = await standIn.waitForRequest(
      (x) => standIn.requests.indexOf(x) >= before && x.method === "POST",
    );
    expect(r.apiKey).toBe(USER_KEY);
    expect(r.json).toEqual({ from: USER_NUMBER, to: PHONE, text: "mine" });
  });

  it("registration: a key that owns the number is accepted", async () => {
    const registration = adapter.registration;
    if (!registration) throw new Error("no registration");
    const verified = await registration.verify({
      number: USER_NUMBER,
      apiKey: USER_KEY,
      publicKey: userKeys.publicKey,
    });
    expect(verified).toEqual({
      number: USER_NUMBER,
      credentials: { apiKey: USER_KEY, publicKey: userKeys.publicKey },
    });
    const r = standIn.requests.at(-1);
    expect(r?.path).toBe("/v2/phone_numbers");
    expect(r?.query["filter[phone_number]"]).toBe("15550007777");
    expect(registration.accountOf?.(verified.credentials ?? {})).toBe(userKeys.publicKey);
  });

  it("registration: a key that does not own the number -> item-not-found; a wrong key -> not-authorized", async () => {
    const registration = adapter.registration;
    if (!registration) throw new Error("no registration");
    const notOwned = await caught(
      registration.verify({ number: GATEWAY_NUMBER, apiKey: USER_KEY, publicKey: userKeys.publicKey }),
    );
    expect(notOwned).toBeInstanceOf(Refusal);
    expect((notOwned as Refusal).condition).toBe("item-not-found");
    const wrong = await caught(
      registration.verify({ number: USER_NUMBER, apiKey: "KEYtypo", publicKey: userKeys.publicKey }),
    );
    expect((wrong as Refusal).condition).toBe("not-authorized");
    expect((wrong as Refusal).message).not.toContain("KEYtypo");
    const badKey = await caught(
      registration.verify({ number: USER_NUMBER, apiKey: USER_KEY, publicKey: "abc" }),
    );
    expect((badKey as Refusal).condition).toBe("bad-request");
  });

  it("checkAccount names the operator's account; a refused key says so", async () => {
    expect(await adapter.checkAccount?.()).toBe("Telnyx API key accepted (1 phone number)");
    standIn.enqueueResponse({ status: 401 });
    const refused = await caught(adapter.checkAccount?.() ?? Promise.resolve());
    expect((refused as Refusal).condition).toBe("not-authorized");
    expect(standIn.validationFailures()).toEqual([]);
  });
  // Last: it leaves validation failures behind on purpose.
  it("the stand-in refuses and reports a request off the spec", async () => {
    const res = await fetch(`${standIn.baseUrl}/v2/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ to: 5, text: "x" }),
    });
    expect(res.status).toBe(422);
    const unauthenticated = await fetch(`${standIn.baseUrl}/v2/phone_numbers`);
    expect(unauthenticated.status).toBe(401);
    const failures = standIn.validationFailures();
    expect(failures.some((f) => f.startsWith("POST /v2/messages -> 422"))).toBe(true);
    expect(failures.some((f) => f.startsWith("GET /v2/phone_numbers -> 401"))).toBe(true);
  });
});
