/**
 * The pipeline's network rules come from the adapter's capabilities: a network without `optOut`
 * never opts anyone out, one without `text` sends one part and refuses a longer body, and an SMS
 * adapter (the kit's capabilities) keeps the SMS rules.
 */
import { describe, expect, it } from "vitest";
import { smsCapabilities } from "../../../adapters/sms-kit/index.js";
import { limitsSchema } from "../../../src/config/limits-schema.js";
import type { NetworkFace } from "../../../src/core/adapter.js";
import { Refusal } from "../../../src/core/errors.js";
import type { MessageRules } from "../../../src/core/message-cost.js";
import { plainRules, rulesFor } from "../../../src/core/pipeline/network-rules.js";

const mailFace: NetworkFace = {
  identityType: "smtp",
  networkName: "Email",
  addressLabel: "Email address",
  addressDescription: "Enter the email address of the contact you want to write to.",
  contactIdentity: { category: "client", type: "pc" },
};
const mail = rulesFor({ face: mailFace });
const sms = rulesFor(smsCapabilities());
const RULES: MessageRules = { caps: limitsSchema.parse({}), longMessages: "split", corrections: "send" };

function refusal(fn: () => unknown): Refusal {
  try {
    fn();
  } catch (err) {
    if (err instanceof Refusal) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("network rules from capabilities", () => {
  it.each(["Stop", "STOP", "stop.", "unsubscribe", "START", "Yes"])(
    "a network without optOut does not opt out the sender of %j",
    (body) => {
      expect(mail.optOutKeyword(body)).toBeUndefined();
      expect(plainRules.optOutKeyword(body)).toBeUndefined();
    },
  );

  it("an SMS network honours STOP and START", () => {
    expect(sms.optOutKeyword("Stop")).toBe("stop");
    expect(sms.optOutKeyword("start!")).toBe("start");
    expect(sms.optOutKeyword("Stop by at noon")).toBeUndefined();
  });

  it("a network without text sends one part, however long, up to maxBodyLength", () => {
    const body = "x".repeat(500);
    expect(mail.plan(body, undefined, 500, RULES)).toEqual({ parts: [body], segments: 1 });
    expect(mail.plan("", undefined, 500, RULES)).toEqual({ parts: [""], segments: 0 });
  });

  it("a network without text refuses a body over maxBodyLength instead of splitting it", () => {
    const r = refusal(() => mail.plan("x".repeat(501), undefined, 500, RULES));
    expect(r.condition).toBe("not-acceptable");
    expect(r.message).toMatch(/at most 500 characters per message/);
  });

  it("an SMS network splits a long body and counts its segments", () => {
    const plan = sms.plan("word ".repeat(60), undefined, 160, RULES);
    expect(plan.parts.length).toBeGreaterThan(1);
    expect(plan.parts.every((p) => p.length <= 160)).toBe(true);
    expect(plan.segments).toBe(plan.parts.length);
  });

  it("corrections are marked only where the network marks them", () => {
    expect(sms.plan("fixed", "m1", 160, RULES).parts).toEqual(["Correction: fixed"]);
    expect(mail.plan("fixed", "m1", 160, RULES).parts).toEqual(["fixed"]);
    const refused = { ...RULES, corrections: "refuse" as const };
    expect(refusal(() => mail.plan("fixed", "m1", 160, refused)).message).toMatch(/as Email on this gateway/);
    expect(refusal(() => sms.plan("fixed", "m1", 160, refused)).message).toBe(
      "Corrections cannot be sent as SMS on this gateway: a text message cannot be edited once sent. Send a new message instead.",
    );
  });

  it("addresses are shown as the face formats them", () => {
    expect(sms.displayName("+15551234567")).toBe("+1 555 123 4567");
    expect(mail.displayName("bob@example.com")).toBe("bob@example.com");
  });
});
