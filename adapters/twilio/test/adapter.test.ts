import { describe, expect, it } from "vitest";
import { AddressError } from "../../../src/core/errors.js";
import { twilioConfigSchema } from "../config.js";
import { createTwilioAdapter, twilioAdapterModule } from "../index.js";
import { ACCOUNT_SID, AUTH_TOKEN, testDeps } from "./helpers.js";

const adapter = createTwilioAdapter(
  {
    gatewayId: "sms",
    defaultRegion: "US",
    numberCheck: "possible",
    twilio: twilioConfigSchema.parse({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }),
  },
  testDeps(),
);

describe("Twilio adapter addresses", () => {
  it.each([
    ["+15551234567", "+15551234567"],
    ["+442079460958", "+442079460958"],
    ["5551234567", "+15551234567"],
    ["+1\\20(555)\\20123-4567", "+15551234567"],
  ])("parses localpart %j as %j", (localpart, e164) => {
    expect(adapter.parseAddress(localpart)).toBe(e164);
  });

  it.each(["alice", "12345", "+1", "acme\\20bank", ""])("refuses %j with jid-malformed", (localpart) => {
    try {
      adapter.parseAddress(localpart);
      expect.unreachable(`${localpart} should not parse`);
    } catch (err) {
      expect(err).toBeInstanceOf(AddressError);
      expect((err as AddressError).condition).toBe("jid-malformed");
    }
  });

  it.each([
    ["+15551234567", "+15551234567"],
    ["72345", "72345"],
    ["ACME Bank", "ACME\\20Bank"],
    ["info@shop", "info\\40shop"],
  ])("formats %j as localpart %j", (address, localpart) => {
    expect(adapter.formatAddress(address)).toBe(localpart);
  });

  it("needs the default region for national numbers", () => {
    const international = createTwilioAdapter(
      {
        gatewayId: "sms",
        numberCheck: "possible",
        twilio: {
          accountSid: ACCOUNT_SID,
          authToken: AUTH_TOKEN,
          apiBaseUrl: "https://api.twilio.com",
          requestTimeoutMs: 1000,
        },
      },
      testDeps(),
    );
    expect(() => international.parseAddress("5551234567")).toThrow(AddressError);
  });
});

describe("Twilio adapter shape", () => {
  it("declares its capabilities and webhook routes", () => {
    expect(adapter.kind).toBe("twilio");
    expect(adapter.capabilities).toEqual({
      gatewayType: "sms",
      maxBodyLength: 1600,
      deliveryReports: true,
      media: true,
      maxMedia: 10,
    });
    expect(adapter.webhooks?.map((r) => r.path)).toEqual(["message", "status"]);
    expect(adapter.webhooks?.map((r) => [r.accepts, r.carriesReports])).toEqual([
      [["application/x-www-form-urlencoded"], false],
      [["application/x-www-form-urlencoded"], true],
    ]);
  });

  it("is registered as the twilio module", () => {
    expect(twilioAdapterModule.kind).toBe("twilio");
    expect(twilioAdapterModule.configSchema).toBe(twilioConfigSchema);
    expect(twilioAdapterModule.create).toBe(createTwilioAdapter);
  });
});

describe("twilioConfigSchema", () => {
  it("applies defaults", () => {
    expect(twilioConfigSchema.parse({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN })).toEqual({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      apiBaseUrl: "https://api.twilio.com",
      requestTimeoutMs: 15000,
    });
  });

  it.each([
    ["a short account sid", { accountSid: "AC123", authToken: AUTH_TOKEN }, "accountSid"],
    ["an API key sid", { accountSid: `SK${"0".repeat(32)}`, authToken: AUTH_TOKEN }, "accountSid"],
    ["an empty token", { accountSid: ACCOUNT_SID, authToken: "" }, "authToken"],
    [
      "a non-http base URL",
      { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: "ftp://x" },
      "apiBaseUrl",
    ],
    [
      "a zero timeout",
      { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, requestTimeoutMs: 0 },
      "requestTimeoutMs",
    ],
    ["a misspelt key", { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, authtoken: "x" }, "authtoken"],
  ])("refuses %s", (_what, input, path) => {
    const result = twilioConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(path);
  });

  it("documents every option", () => {
    for (const [key, field] of Object.entries(twilioConfigSchema.shape)) {
      expect(field.description, key).toBeTruthy();
    }
  });
});
