/**
 * Whatever a Telnyx webhook carries, the routes answer it as authentic-and-parsed, malformed (400)
 * or forbidden (403), never with another error; and nothing unsigned is ever parsed into events.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WebhookAuthError, WebhookInputError } from "../../../src/core/adapter.js";
import { telnyxKeyPair, telnyxSignatureHeaders } from "../../../test/harness/telnyx-events.js";
import { silentLogger } from "../../twilio/test/helpers.js";
import { createTelnyxWebhooks } from "../webhooks.js";

const keys = telnyxKeyPair();
const [route] = createTelnyxWebhooks(keys.publicKey, silentLogger(), async (n) =>
  n.startsWith("+1")
    ? { apiKey: "k", publicKey: n.length % 2 === 0 ? "not a key" : telnyxKeyPair().publicKey }
    : undefined,
);

const eventLike = fc.record({
  data: fc.record({
    event_type: fc.constantFrom("message.received", "message.finalized", "message.sent", "other"),
    occurred_at: fc.oneof(
      fc.string(),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    payload: fc.record(
      {
        id: fc.oneof(fc.string(), fc.uuid(), fc.integer()),
        from: fc.oneof(
          fc.record({ phone_number: fc.oneof(fc.string(), fc.constant("+15550001111")) }),
          fc.string(),
        ),
        to: fc.array(
          fc.record({
            phone_number: fc.string(),
            status: fc.constantFrom("delivered", "sent", "delivery_failed", "x"),
          }),
        ),
        text: fc.oneof(fc.string(), fc.constant(null), fc.integer()),
        media: fc.array(fc.record({ url: fc.oneof(fc.webUrl(), fc.string()) })),
        errors: fc.array(fc.record({ code: fc.oneof(fc.string(), fc.integer()), title: fc.string() })),
      },
      { requiredKeys: [] },
    ),
  }),
});
const anyBody = fc.oneof(
  eventLike.map((e) => JSON.stringify(e)),
  fc.json(),
  fc.string(),
);

async function outcome(p: Promise<unknown>): Promise<"ok" | "input" | "auth"> {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (err instanceof WebhookInputError) return "input";
    if (err instanceof WebhookAuthError) return "auth";
    throw err;
  }
}

describe("Telnyx webhooks under arbitrary bodies", () => {
  if (!route) throw new Error("no route");
  it("signed: parsed or malformed, never another error", async () => {
    await fc.assert(
      fc.asyncProperty(anyBody, async (body) => {
        const headers = telnyxSignatureHeaders(keys.privateKey, body);
        expect(
          await outcome(route.handle({ publicUrl: "https://x/", headers, form: {}, rawBody: body })),
        ).not.toBe("auth");
      }),
      { numRuns: 300 },
    );
  });
  it("unsigned or signed by another key: always forbidden", async () => {
    const other = telnyxKeyPair();
    await fc.assert(
      fc.asyncProperty(anyBody, fc.boolean(), async (body, sign) => {
        const headers = sign ? telnyxSignatureHeaders(other.privateKey, body) : {};
        expect(
          await outcome(route.handle({ publicUrl: "https://x/", headers, form: {}, rawBody: body })),
        ).toBe("auth");
      }),
      { numRuns: 300 },
    );
  });
});
