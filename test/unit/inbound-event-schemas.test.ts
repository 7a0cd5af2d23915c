/** The adapter contract's inbound events are zod schemas: what an adapter hands the core is checkable. */
import { describe, expect, it } from "vitest";
import { inboundMessageEventSchema, inboundStatusEventSchema } from "../../src/core/adapter.js";

const message = {
  kind: "message",
  providerMessageId: "SM1",
  from: "+15550002222",
  to: "+15550001111",
  body: "hi",
  mediaUrls: [],
};

describe("inbound event schemas", () => {
  it("accept a message, with or without its optional fields", () => {
    expect(inboundMessageEventSchema.parse(message)).toEqual(message);
    const full = { ...message, optOut: "stop", occurredAt: 1_700_000_000_000 };
    expect(inboundMessageEventSchema.parse(full)).toEqual(full);
  });

  it("refuse a message with an unknown field, a wrong kind or a bad opt-out", () => {
    expect(inboundMessageEventSchema.safeParse({ ...message, extra: 1 }).success).toBe(false);
    expect(inboundMessageEventSchema.safeParse({ ...message, kind: "status" }).success).toBe(false);
    expect(inboundMessageEventSchema.safeParse({ ...message, optOut: "pause" }).success).toBe(false);
  });

  it("keep messages and reports apart", () => {
    expect(inboundStatusEventSchema.safeParse(message).success).toBe(false);
  });
});
