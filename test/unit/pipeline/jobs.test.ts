/**
 * Job data across versions (src/core/pipeline/jobs.ts): during a rolling upgrade an older process
 * reads jobs a newer one wrote. A key it does not know is stripped (the job is handled as before);
 * a known field of the wrong type still makes the job malformed, refused for good.
 */
import { describe, expect, it } from "vitest";
import { sendableData } from "../../../src/core/pipeline/dead-letter.js";
import { outboundJobSchema, toXmppJobSchema } from "../../../src/core/pipeline/jobs.js";
import { PermanentFailure } from "../../../src/core/ports.js";
import { jobHandle } from "../../harness/memory-ports.js";
import { outboundJob } from "../../harness/outbound-job.js";
import { silentLogger } from "../../harness/silent-logger.js";

/** A job as a later version might write it: a top-level and a nested key this version lacks. */
const fromNewer = () => ({
  ...outboundJob("s1"),
  account: { kind: "gateway", region: "eu" },
  priority: "high",
});

describe("job data written by another version", () => {
  it("accepts an outbound job with unknown keys and drops them, top level and nested", () => {
    const parsed = outboundJobSchema.parse(fromNewer());
    expect(parsed).toEqual({ ...outboundJob("s1"), account: { kind: "gateway" } });
    expect(Object.keys(parsed)).not.toContain("priority");
  });

  it("still refuses a known field of the wrong type or out of bounds", () => {
    for (const wrong of [
      { subject: 42 },
      { senderName: "x".repeat(10_000) },
      { receipt: "yes" },
      { mediaUrls: "https://example.org/a.png" },
      { account: { kind: "borrowed" } },
    ]) {
      const r = outboundJobSchema.safeParse({ ...fromNewer(), ...wrong });
      expect(r.success, JSON.stringify(wrong)).toBe(false);
      expect(r.error?.issues[0]?.path[0]).toBe(Object.keys(wrong)[0]);
    }
    const missing: Record<string, unknown> = { ...fromNewer() };
    delete missing.body;
    expect(outboundJobSchema.safeParse(missing).success).toBe(false);
  });

  it("accepts to-xmpp jobs with unknown keys (kind still decides the shape), not wrong types", () => {
    const message = {
      kind: "message",
      providerMessageId: "m1",
      from: "bob@example.com",
      to: "alice@mail.example.org",
      body: "hi",
      mediaUrls: [],
      subject: "Lunch",
      inReplyTo: "<x@example.com>",
    };
    expect(toXmppJobSchema.parse(message)).not.toHaveProperty("inReplyTo");
    expect(toXmppJobSchema.parse(message)).toMatchObject({ subject: "Lunch" });
    const receipt = {
      kind: "receipt",
      to: "alice@example.org/phone",
      contactLocalpart: "+1555",
      stanzaId: "s1",
    };
    expect(toXmppJobSchema.parse({ ...receipt, seenAt: 1 })).toEqual(receipt);
    expect(toXmppJobSchema.safeParse({ ...message, senderName: ["Bob"] }).success).toBe(false);
    expect(toXmppJobSchema.safeParse({ ...receipt, kind: "reaction" }).success).toBe(false);
    const error = { kind: "error", to: "a@example.org/x", contactLocalpart: "b", text: "no" };
    expect(toXmppJobSchema.safeParse({ ...error, condition: "not-a-condition", extra: 1 }).success).toBe(
      false,
    );
  });

  it("the send worker takes a job with an unknown key and fails one with a wrong-typed field for good", async () => {
    const ok = jobHandle("o-1", fromNewer());
    expect(await sendableData(ok, silentLogger)).not.toHaveProperty("priority");
    expect(ok.kept).toBeUndefined();

    const bad = jobHandle("o-2", { ...fromNewer(), subject: 42 });
    const refused = sendableData(bad, silentLogger);
    await expect(refused).rejects.toThrow(PermanentFailure);
    await expect(refused).rejects.toThrow(/malformed job.*subject/s);
  });

  it("a malformed job's kept start stays unsendable, though `malformed` is a key the schema drops", async () => {
    const kept = { ...outboundJob("s1"), malformed: true };
    await expect(sendableData(jobHandle("o-3", kept), silentLogger)).rejects.toThrow(/not sent again/);
  });
});
