import { describe, expect, it } from "vitest";
import { emailConfigSchema, splitHostPort } from "../config.js";
import { EMAIL_CAPABILITIES, EMAIL_FACE } from "../face.js";
import { configuredAddresses } from "../provisioned.js";

describe("the email: block", () => {
  it("takes the issue's block and fills the defaults", () => {
    const block = {
      listen: "127.0.0.1:2525",
      relay: { host: "127.0.0.1", port: 25, secure: false, user: "u", pass: "p" },
      maxMessageBytes: 10485760,
    };
    expect(emailConfigSchema.parse(block)).toEqual(block);
    expect(emailConfigSchema.parse({ listen: "[::1]:2525", relay: { host: "smtp.example.org" } })).toEqual({
      listen: "[::1]:2525",
      relay: { host: "smtp.example.org", port: 25, secure: false },
      maxMessageBytes: 10_485_760,
    });
  });

  it.each([
    [{ listen: "2525", relay: { host: "h" } }, "host:port"],
    [{ listen: "127.0.0.1:70000", relay: { host: "h" } }, "host:port"],
    [{ listen: "127.0.0.1:2525", relay: { host: "h", user: "u" } }, "user and pass go together"],
    [{ listen: "127.0.0.1:2525", relay: { host: "h" }, extra: 1 }, "extra"],
  ])("refuses %j", (block, why) => {
    const r = emailConfigSchema.safeParse(block);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(why);
  });

  it("splits host:port", () => {
    expect(splitHostPort("127.0.0.1:2525")).toEqual({ host: "127.0.0.1", port: 2525 });
    expect(splitHostPort("[::1]:25")).toEqual({ host: "::1", port: 25 });
    expect(splitHostPort("mx.example.org:0")).toBeUndefined();
  });
});

describe("the face and capabilities", () => {
  it("is gateway/smtp with an email address prompt; one mail per message, media as links", () => {
    expect(EMAIL_FACE).toMatchObject({
      identityType: "smtp",
      networkName: "Email",
      addressLabel: "Email address",
    });
    expect(EMAIL_CAPABILITIES.gatewayType).toBe("smtp");
    expect(EMAIL_CAPABILITIES.media).toBe(true);
  });

  it("treats the config's users as the provisioned recipients, either key", async () => {
    const isUser = configuredAddresses([{ address: "Alice@Mail.Example.org" }, { number: "+15551234567" }]);
    expect(await isUser("alice@mail.example.org")).toBe(true);
    expect(await isUser("bob@mail.example.org")).toBe(false);
  });
});
