/**
 * Bring-your-own Twilio accounts, checked against the Twilio stand-in (prism validating every
 * request and answer against Twilio's OpenAPI description): IncomingPhoneNumbers per account,
 * 401 / 20003 for wrong credentials, and sends with the user's own account afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Refusal } from "../../../src/core/errors.js";
import { ownAccounts } from "../../../src/core/own-accounts.js";
import type { Registration } from "../../../src/core/registrations.js";
import {
  startTwilioStandIn,
  type TwilioStandIn,
  twilioSpecPath,
} from "../../../test/harness/twilio-standin.js";
import { createTwilioAdapter } from "../index.js";
import { twilioRegistration } from "../registration.js";
import { testDeps } from "./helpers.js";

const GATEWAY_SID = `AC${"0".repeat(32)}`;
const GATEWAY_TOKEN = "gateway-token";
const USER_SID = `AC${"ab".repeat(16)}`;
const USER_TOKEN = "user-token-5f1e";
const USER_NUMBER = "+15550007777";

async function refusal(p: Promise<unknown>): Promise<Refusal> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Refusal) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe.skipIf(!twilioSpecPath())("Twilio self-service registration (stand-in)", () => {
  let standIn: TwilioStandIn;
  beforeAll(async () => {
    standIn = await startTwilioStandIn({
      accounts: { [USER_SID]: USER_TOKEN, [GATEWAY_SID]: GATEWAY_TOKEN },
      incomingNumbers: { [USER_SID]: [USER_NUMBER, "+15550008888"] },
    });
  }, 60_000);
  afterAll(async () => {
    await standIn?.stop();
  });

  const spec = () =>
    twilioRegistration({
      apiBaseUrl: standIn.baseUrl,
      requestTimeoutMs: 5000,
      phone: { defaultRegion: "US", check: "possible" },
    });

  it("accepts a number of the user's account and returns the credentials to send with", async () => {
    const account = await spec().verify({
      number: "(555) 000-7777",
      accountSid: USER_SID,
      authToken: USER_TOKEN,
    });
    expect(account).toEqual({
      number: USER_NUMBER,
      credentials: { accountSid: USER_SID, authToken: USER_TOKEN },
    });
    const req = await standIn.waitForRequest((r) => r.path.endsWith("/IncomingPhoneNumbers.json"));
    expect(req.method).toBe("GET");
    expect(req.path).toBe(`/2010-04-01/Accounts/${USER_SID}/IncomingPhoneNumbers.json`);
    expect(req.query.PhoneNumber).toBe(USER_NUMBER);
    expect(req.auth).toEqual({ username: USER_SID, password: USER_TOKEN });
    expect(standIn.validationFailures()).toEqual([]);
  });

  it("refuses wrong credentials (401, 20003) with not-authorized", async () => {
    const r = await refusal(spec().verify({ number: USER_NUMBER, accountSid: USER_SID, authToken: "wrong" }));
    expect(r.condition).toBe("not-authorized");
    expect(r.message).toContain("20003");
    expect(r.message).not.toContain("wrong");
  });

  it("refuses a number the account does not have with item-not-found", async () => {
    const r = await refusal(
      spec().verify({ number: "+15550009999", accountSid: USER_SID, authToken: USER_TOKEN }),
    );
    expect(r.condition).toBe("item-not-found");
    expect(r.message).toContain("+15550009999");
  });

  it("refuses a malformed Account SID or number before asking Twilio", async () => {
    const before = standIn.requests.length;
    expect(
      (await refusal(spec().verify({ number: USER_NUMBER, accountSid: "AC123", authToken: "x" }))).condition,
    ).toBe("bad-request");
    expect(
      (await refusal(spec().verify({ number: "garbage", accountSid: USER_SID, authToken: "x" }))).condition,
    ).toBe("bad-request");
    expect(standIn.requests.length).toBe(before);
  });

  it("sends a self-service user's message with the user's own account, others with the gateway's", async () => {
    const adapter = createTwilioAdapter(
      {
        gatewayId: "sms",
        defaultRegion: "US",
        numberCheck: "possible",
        twilio: {
          accountSid: GATEWAY_SID,
          authToken: GATEWAY_TOKEN,
          apiBaseUrl: standIn.baseUrl,
          requestTimeoutMs: 5000,
        },
      },
      testDeps(),
    );
    const regs: Registration[] = [
      {
        jid: "alice@example.org",
        address: USER_NUMBER,
        source: "self-service",
        credentials: { accountSid: USER_SID, authToken: USER_TOKEN },
      },
      { jid: "bob@example.org", address: "+15550001111", source: "config" },
    ];
    const accounts = ownAccounts(
      {
        byJid: async (_g: string, j: string) => regs.find((r) => r.jid === j),
        byAddress: async (_g: string, n: string) => regs.find((r) => r.address === n),
      },
      "sms",
      adapter.registration?.accountOf,
    );
    try {
      const msg = { to: "+15557654321", body: "own account", mediaUrls: [], messageId: "j1" };
      const own = await accounts({
        from: USER_NUMBER,
        senderBare: "alice@example.org",
        account: { kind: "self-service", id: USER_SID },
      });
      expect(own.id).toBe(USER_SID);
      await adapter.send({ ...msg, from: USER_NUMBER }, own.account);
      const gateway = await accounts({
        from: "+15550001111",
        senderBare: "bob@example.org",
        account: { kind: "gateway" },
      });
      await adapter.send({ ...msg, from: "+15550001111", body: "gateway account" }, gateway.account);
      const sentOwn = await standIn.waitForRequest((r) => r.form.Body === "own account");
      expect(sentOwn.path).toBe(`/2010-04-01/Accounts/${USER_SID}/Messages.json`);
      expect(sentOwn.auth).toEqual({ username: USER_SID, password: USER_TOKEN });
      const gw = await standIn.waitForRequest((r) => r.form.Body === "gateway account");
      expect(gw.path).toBe(`/2010-04-01/Accounts/${GATEWAY_SID}/Messages.json`);
      expect(standIn.validationFailures()).toEqual([]);
    } finally {
      await adapter.close?.();
    }
  });
});
