/** Outbound acceptance (src/core/pipeline/accept.ts) over in-memory ports. */

import { describe, expect, it } from "vitest";
import { Refusal } from "../../../src/core/errors.js";
import { acceptOutbound } from "../../../src/core/pipeline/accept.js";
import { outboundJobId } from "../../../src/core/pipeline/jobs.js";
import { parseJid } from "../../../src/xmpp/jid.js";
import { MemoryQueues } from "../../harness/memory-ports.js";
import { MemoryRegistrationStore } from "../../harness/memory-registrations.js";
import { DEFAULT_RULES, fakeAdapter } from "../xmpp/setup.js";

async function rig() {
  const registrations = new MemoryRegistrationStore();
  await registrations.put("sms", { jid: "alice@example.org", address: "+15550001111", source: "config" });
  const queues = new MemoryQueues();
  const options = {
    gatewayId: "sms",
    allowedDomains: new Set(["example.org"]),
    parseJid,
    adapter: fakeAdapter(),
    registrations,
    producer: queues,
    rules: DEFAULT_RULES,
  };
  return { options, queues };
}

const request = (senderJid: string, stanzaId = "s1") => ({
  stanzaId,
  senderJid,
  contactLocalpart: "+15557654321",
  body: "hello",
  mediaUrls: [],
  receipt: true,
});

describe("accepting a user's message", () => {
  it("queues one job per stanza id, from the sender's number to the contact's", async () => {
    const r = await rig();
    expect(await acceptOutbound(r.options, request("alice@example.org/phone"))).toBe("enqueued");
    expect(await acceptOutbound(r.options, request("alice@example.org/laptop"))).toBe("duplicate");
    expect(r.queues.outbound.get(outboundJobId("alice@example.org", "s1"))).toMatchObject({
      from: "+15550001111",
      to: "+15557654321",
      receipt: true,
      account: { kind: "gateway" },
    });
  });

  it("carries the subject, and a display name: the operator's for the sender's address, else the stanza's nick", async () => {
    const r = await rig();
    const extras = { subject: "Lunch", senderName: "ally" };
    await acceptOutbound(r.options, { ...request("alice@example.org/phone", "n1"), ...extras });
    const named = { ...r.options, displayNames: new Map([["+15550001111", "Alice Liddell"]]) };
    await acceptOutbound(named, { ...request("alice@example.org/phone", "n2"), ...extras });
    await acceptOutbound(named, request("alice@example.org/phone", "n3"));
    const job = (id: string) => r.queues.outbound.get(outboundJobId("alice@example.org", id));
    expect(job("n1")).toMatchObject({ subject: "Lunch", senderName: "ally" });
    expect(job("n2")).toMatchObject({ subject: "Lunch", senderName: "Alice Liddell" });
    expect(job("n3")).toMatchObject({ senderName: "Alice Liddell" });
    expect(job("n3")).not.toHaveProperty("subject");
  });

  it("refuses a sender without a number, and queues nothing", async () => {
    const r = await rig();
    const err = await acceptOutbound(r.options, request("bob@example.org/phone")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Refusal);
    expect((err as Refusal).condition).toBe("registration-required");
    expect(r.queues.outbound.size).toBe(0);
  });

  it("refuses a body over the caps before anything is queued", async () => {
    const r = await rig();
    const long = { ...request("alice@example.org/phone"), body: "x".repeat(5000) };
    await expect(acceptOutbound(r.options, long)).rejects.toMatchObject({ condition: "not-acceptable" });
    expect(r.queues.outbound.size).toBe(0);
  });
});
