import { describe, expect, it } from "vitest";
import { toE164 } from "../../adapters/sms-kit/phone.js";
import type { NetworkAdapter } from "../../src/core/adapter.js";
import { Refusal } from "../../src/core/errors.js";
import { routeOutbound } from "../../src/core/outbound.js";
import type { Registration, RegistrationStore } from "../../src/core/registrations.js";
import { parseJid } from "../../src/xmpp/jid.js";

const adapter = {
  parseAddress: (l: string) => toE164(l, { defaultRegion: "US", check: "possible" }),
} as Pick<NetworkAdapter, "parseAddress"> as NetworkAdapter;

const registrations: RegistrationStore = {
  byJid: async (_g, jid) =>
    jid === "alice@example.org"
      ? ({ jid, address: "+15550001111", source: "config" } satisfies Registration)
      : undefined,
  byAddress: async () => undefined,
  put: async () => {},
  remove: async () => false,
  list: async () => [],
};
const ctx = { gatewayId: "sms", allowedDomains: new Set(["example.org"]), adapter, registrations, parseJid };
const req = (senderJid: string, contactLocalpart: string, body = "hi") => ({
  senderJid,
  contactLocalpart,
  body,
  mediaUrls: [],
  stanzaId: "s1",
});

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Refusal) return err.condition;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("routeOutbound", () => {
  it("routes a provisioned user's message to an E.164 number", async () => {
    const routed = await routeOutbound(req("alice@example.org/phone", "+15551234567"), ctx);
    expect(routed).toMatchObject({
      to: "+15551234567",
      from: "+15550001111",
      senderBare: "alice@example.org",
    });
  });
  it("normalizes a national number with the default region", async () => {
    expect((await routeOutbound(req("alice@example.org/x", "5551234567"), ctx)).to).toBe("+15551234567");
  });
  it("refuses with the right condition", async () => {
    expect(await refusal(routeOutbound(req("mallory@evil.example/x", "+15551234567"), ctx))).toBe(
      "forbidden",
    );
    expect(await refusal(routeOutbound(req("bob@example.org/x", "+15551234567"), ctx))).toBe(
      "registration-required",
    );
    expect(await refusal(routeOutbound(req("alice@example.org/x", "not-a-number"), ctx))).toBe(
      "jid-malformed",
    );
    expect(await refusal(routeOutbound(req("alice@example.org/x", "+1555"), ctx))).toBe("jid-malformed");
    expect(await refusal(routeOutbound(req("example.org", "+15551234567"), ctx))).toBe("forbidden");
  });
});
