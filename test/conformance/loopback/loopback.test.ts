/**
 * The loopback adapter against its stand-in, without a gateway: how its answers map to the core's
 * errors, how registrations are checked, and how its webhook is verified and parsed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NetworkAdapter, WebhookRoute } from "../../../src/core/adapter.js";
import { AddressError, PermanentError, Refusal, RetryableError } from "../../../src/core/errors.js";
import { silentLogger } from "../../harness/silent-logger.js";
import { createLoopbackAdapter } from "./index.js";
import { type LoopStandIn, startLoopStandIn } from "./stand-in.js";
import { loopSignature, SIGNATURE_HEADER } from "./wire.js";

const KEY = "loop-api-key-unit-0a1b";
const SECRET = "loop-webhook-secret-unit-77e2";
const msg = { to: "bob@example.com", body: "hi", mediaUrls: [], messageId: "m1", from: "a@loop.test" };
const account = { number: "a@loop.test" };

let standIn: LoopStandIn;
let adapter: NetworkAdapter;
let route: WebhookRoute;

beforeAll(async () => {
  standIn = await startLoopStandIn(KEY);
  adapter = createLoopbackAdapter(
    { apiUrl: standIn.url, apiKey: KEY, webhookSecret: SECRET, requestTimeoutMs: 5_000 },
    { logger: silentLogger, emit: async () => undefined },
  );
  const [events] = adapter.webhooks ?? [];
  if (!events) throw new Error("no webhook route");
  route = events;
});

afterAll(async () => {
  await standIn?.stop();
});

const request = (body: string, signature: string | undefined) => ({
  publicUrl: "https://gw.example.test/webhooks/loop/events",
  headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signature },
  form: {},
  rawBody: body,
});

describe("loopback send", () => {
  it("returns the network's id and sends from the account's address", async () => {
    const { providerMessageId } = await adapter.send(msg, account);
    expect(standIn.sent.at(-1)).toMatchObject({ providerId: providerMessageId, from: "a@loop.test" });
  });

  it("maps a 4xx to a PermanentError with the network's code and a 503 to a RetryableError with Retry-After", async () => {
    standIn.enqueue({ status: 422, code: "no-such-mailbox", message: "nobody" });
    const permanent = await adapter.send(msg, account).catch((e: unknown) => e);
    expect(permanent).toBeInstanceOf(PermanentError);
    expect(permanent).toMatchObject({
      condition: "item-not-found",
      message: "Loop network error no-such-mailbox: nobody",
    });
    standIn.enqueue({ status: 503, retryAfterSeconds: 7 });
    const retryable = await adapter.send(msg, account).catch((e: unknown) => e);
    expect(retryable).toBeInstanceOf(RetryableError);
    expect(retryable).toMatchObject({ retryAfterMs: 7_000 });
    expect(standIn.problems).toEqual([]);
  });

  it("refuses a localpart that is not name@domain", () => {
    expect(adapter.parseAddress("Bob\\40Example.com")).toBe("bob@example.com");
    for (const bad of ["bob", "+15557654321", "bob\\40"])
      expect(() => adapter.parseAddress(bad)).toThrow(AddressError);
  });
});

describe("loopback registration", () => {
  it("accepts the mailbox's token, refuses a wrong one and an unknown mailbox", async () => {
    standIn.mailboxes.set("reg@example.com", "right-token");
    const spec = adapter.registration;
    if (!spec) throw new Error("no registration");
    await expect(spec.verify({ address: "reg@example.com", token: "right-token" })).resolves.toEqual({
      number: "reg@example.com",
    });
    await expect(spec.verify({ address: "reg@example.com", token: "wrong" })).rejects.toMatchObject({
      condition: "not-authorized",
    });
    const unknown = await spec.verify({ address: "nobody@example.com", token: "x" }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Refusal);
    expect(unknown).toMatchObject({ condition: "item-not-found" });
  });
});

describe("loopback webhook", () => {
  const body = JSON.stringify({
    type: "message",
    id: "LP1",
    from: "bob@example.com",
    to: "a@loop.test",
    text: "hi",
  });

  it("parses a signed message and a signed report", async () => {
    const got = await route.handle(request(body, loopSignature(SECRET, body)));
    expect(got.events).toEqual([
      {
        kind: "message",
        providerMessageId: "LP1",
        from: "bob@example.com",
        to: "a@loop.test",
        body: "hi",
        mediaUrls: [],
      },
    ]);
    const report = JSON.stringify({
      type: "report",
      id: "R1",
      message: "LP0",
      status: "failed",
      reason: "full",
    });
    const failed = await route.handle(request(report, loopSignature(SECRET, report)));
    expect(failed.events).toEqual([
      { kind: "status", providerMessageId: "LP0", status: "failed", reason: "Loop network: full" },
    ]);
  });

  it("refuses a missing, forged or other-key signature, and a body changed after signing", async () => {
    for (const signature of [
      undefined,
      `sha256=${"0".repeat(64)}`,
      loopSignature("another-secret-000000", body),
    ]) {
      await expect(route.handle(request(body, signature))).rejects.toMatchObject({
        name: "WebhookAuthError",
      });
    }
    await expect(route.handle(request(`${body} `, loopSignature(SECRET, body)))).rejects.toMatchObject({
      name: "WebhookAuthError",
    });
  });

  it("answers a signed body that is no event as malformed", async () => {
    const junk = JSON.stringify({ type: "message", id: "LP2" });
    await expect(route.handle(request(junk, loopSignature(SECRET, junk)))).rejects.toMatchObject({
      name: "WebhookInputError",
    });
  });
});
