/** Inbound events and delivery reports (src/core/pipeline/inbound.ts, reports.ts) over in-memory ports. */
import { describe, expect, it } from "vitest";
import { smsCapabilities } from "../../../adapters/sms-kit/index.js";
import type { InboundEvent } from "../../../src/core/adapter.js";
import { inboundIngester, type StatusOutcome } from "../../../src/core/pipeline/inbound.js";
import { deliveryErrorJobId, inboundJobId, receiptJobId } from "../../../src/core/pipeline/jobs.js";
import { rulesFor } from "../../../src/core/pipeline/network-rules.js";
import { MemoryMessageLog, MemoryOptOuts, MemoryQueues } from "../../harness/memory-ports.js";
import { silentLogger } from "../../harness/silent-logger.js";

function rig() {
  const queues = new MemoryQueues();
  const optOuts = new MemoryOptOuts();
  const log = new MemoryMessageLog();
  const statuses: StatusOutcome[] = [];
  const ingest = inboundIngester({
    gatewayId: "sms",
    network: rulesFor(smsCapabilities()),
    producer: queues,
    logger: silentLogger,
    messageMap: log,
    optOuts,
    onStatus: (s) => statuses.push(s),
  });
  return { ingest, queues, optOuts, log, statuses };
}

const text = (id: string, body: string): InboundEvent => ({
  kind: "message",
  providerMessageId: id,
  from: "+15557654321",
  to: "+15550001111",
  body,
  mediaUrls: [],
});

const report = (id: string, status: "delivered" | "failed"): InboundEvent => ({
  kind: "status",
  providerMessageId: id,
  status,
});

describe("inbound", () => {
  it("queues a text once per provider id, and a STOP of a new text opts the sender out", async () => {
    const r = rig();
    await r.ingest([text("SM1", "Stop"), text("SM1", "Stop")]);
    expect([...r.queues.toXmpp.keys()]).toEqual([inboundJobId("SM1")]);
    expect(r.optOuts.optedOut("sms", "+15550001111", "+15557654321")).toBe(true);
  });

  it("carries an event's subject and sender name to the job, trimmed and cut, empty ones left out", async () => {
    const r = rig();
    await r.ingest([
      {
        ...(text("SM7", "hi") as object),
        subject: ` ${"s".repeat(1200)} `,
        senderName: "  Bob B ",
      } as InboundEvent,
      { ...(text("SM8", "hi") as object), subject: "  ", senderName: "" } as InboundEvent,
    ]);
    const first = r.queues.toXmpp.get(inboundJobId("SM7"));
    expect(first).toMatchObject({ subject: "s".repeat(998), senderName: "Bob B" });
    const second = r.queues.toXmpp.get(inboundJobId("SM8")) as object;
    expect(Object.keys(second)).not.toContain("subject");
    expect(Object.keys(second)).not.toContain("senderName");
  });

  it("does not reopen sending on a replayed START (a duplicate changes nothing)", async () => {
    const r = rig();
    await r.ingest([text("SM2", "START")]);
    await r.ingest([text("SM3", "STOP")]);
    await r.ingest([text("SM2", "START")]);
    expect(r.optOuts.optedOut("sms", "+15550001111", "+15557654321")).toBe(true);
  });
});

describe("delivery reports", () => {
  const record = {
    jobId: "o-1",
    senderJid: "alice@example.org/phone",
    stanzaId: "s1",
    contactLocalpart: "+15557654321",
    receipt: true,
  };

  it("become a receipt once every part is delivered", async () => {
    const r = rig();
    r.log.records.set("SMa", { ...record, parts: 2 });
    r.log.records.set("SMb", { ...record, parts: 2 });
    await r.ingest([report("SMa", "delivered")]);
    expect(r.queues.toXmpp.has(receiptJobId("o-1"))).toBe(false);
    await r.ingest([report("SMb", "delivered")]);
    expect(r.queues.toXmpp.get(receiptJobId("o-1"))).toMatchObject({ kind: "receipt", stanzaId: "s1" });
    expect(r.statuses).toEqual(["partial", "receipt"]);
  });

  it("become an error stanza for a failure, and are held for an id not recorded yet", async () => {
    const r = rig();
    await r.ingest([report("SMx", "failed")]);
    expect(r.statuses).toEqual(["unknown"]);
    expect(r.log.early.size).toBe(1);
    r.log.records.set("SMy", { ...record, parts: 1 });
    await r.ingest([report("SMy", "failed")]);
    expect(r.queues.toXmpp.get(deliveryErrorJobId("o-1"))).toMatchObject({
      kind: "error",
      condition: "recipient-unavailable",
    });
  });

  it("from another account than the message was sent with are dropped", async () => {
    const r = rig();
    r.log.records.set("SMz", { ...record, parts: 1, account: "AC1" });
    await r.ingest([{ ...report("SMz", "failed"), signedBy: "AC2" } as InboundEvent]);
    expect(r.statuses).toEqual(["wrong-account"]);
    expect(r.queues.toXmpp.size).toBe(0);
  });
});
