/** The outbound send step (src/core/pipeline/send.ts) over in-memory ports. */
import { describe, expect, it } from "vitest";
import { smsCapabilities } from "../../../adapters/sms-kit/index.js";
import type { NetworkAdapter, OutboundMessage } from "../../../src/core/adapter.js";
import { RetryableError } from "../../../src/core/errors.js";
import { deliveryErrorJobId, errorJobId } from "../../../src/core/pipeline/jobs.js";
import type { Pacing } from "../../../src/core/pipeline/pacing.js";
import { outboundSender } from "../../../src/core/pipeline/send.js";
import { type JobKey, PermanentFailure, type SlotRequest } from "../../../src/core/ports.js";
import {
  jobHandle,
  MemoryMessageLog,
  MemoryOptOuts,
  MemoryPartLedger,
  MemoryQueues,
} from "../../harness/memory-ports.js";
import { outboundJob } from "../../harness/outbound-job.js";
import { silentLogger } from "../../harness/silent-logger.js";

function rig(
  answers: (string | Error)[],
  corrections: "send" | "refuse" = "send",
  extra: { parts?: MemoryPartLedger; pacing?: Pacing } = {},
) {
  const requests: OutboundMessage[] = [];
  const adapter: NetworkAdapter = {
    kind: "scripted",
    ...smsCapabilities(),
    capabilities: { gatewayType: "sms", maxBodyLength: 20, deliveryReports: true, media: false, maxMedia: 0 },
    parseAddress: (l) => l,
    formatAddress: (a) => a,
    send: async (msg) => {
      requests.push(msg);
      const next = answers.shift() ?? new Error("no answer scripted");
      if (next instanceof Error) throw next;
      return { providerMessageId: next };
    },
  };
  const queues = new MemoryQueues();
  const optOuts = new MemoryOptOuts();
  const log = new MemoryMessageLog();
  const parts = extra.parts ?? new MemoryPartLedger(optOuts, log);
  const outcomes: string[] = [];
  const send = outboundSender({
    gatewayId: "sms",
    adapter,
    producer: queues,
    messageMap: log,
    parts,
    optOuts,
    logger: silentLogger,
    rules: {
      caps: { maxBodyLength: 100, maxParts: 3, maxSegments: 10 },
      longMessages: "split",
      corrections,
    },
    onOutcome: (o) => outcomes.push(o),
    ...(extra.pacing === undefined ? {} : { pacing: extra.pacing }),
  });
  return { send, requests, queues, optOuts, log, parts, outcomes };
}

const LONG = "one two three four five six seven eight nine ten eleven";

describe("sending one job", () => {
  it("sends a short message once and records its id for delivery reports", async () => {
    const r = rig(["SM1"]);
    expect(await r.send(jobHandle("o-1", outboundJob("s1", { receipt: true })))).toEqual({
      providerMessageIds: ["SM1"],
      uncertainParts: 0,
    });
    expect(r.requests.map((m) => [m.body, m.messageId])).toEqual([["hello", "o-1"]]);
    expect(r.log.records.get("SM1")).toMatchObject({ jobId: "o-1", parts: 1, receipt: true });
    expect(r.parts.parts.get("o-1 0")).toBe("SM1");
    expect(r.outcomes).toEqual(["sent"]);
  });

  it("hands the adapter the message's subject and the sender's name", async () => {
    const r = rig(["SM1"]);
    await r.send(jobHandle("o-1", outboundJob("s1", { subject: "Lunch", senderName: "Alice A" })));
    expect(r.requests.map((m) => [m.subject, m.senderName])).toEqual([["Lunch", "Alice A"]]);
  });

  it("splits a long body into parts sent in order, skipping a part already recorded", async () => {
    const r = rig(["SMa", "SMc"]);
    r.parts.parts.set("o-2 1", "SMb");
    const result = await r.send(jobHandle("o-2", outboundJob("s2", { body: LONG })));
    expect(result.providerMessageIds).toEqual(["SMa", "SMb", "SMc"]);
    expect(r.requests.map((m) => m.messageId)).toEqual(["o-2-1", "o-2-3"]);
  });

  it("refuses an opted-out recipient for good without a provider call, telling the sender", async () => {
    const r = rig([]);
    await r.optOuts.record("sms", "+15550001111", "+15557654321");
    await expect(r.send(jobHandle("o-3", outboundJob("s3")))).rejects.toBeInstanceOf(PermanentFailure);
    expect(r.requests).toEqual([]);
    expect(r.queues.toXmpp.get(errorJobId("o-3"))).toMatchObject({ kind: "error", condition: "forbidden" });
    expect(r.parts.parts.has("o-3 0")).toBe(false);
  });

  it("does not resend a part a crashed attempt had in flight, and says it may not have arrived", async () => {
    const r = rig([]);
    r.parts.parts.set("o-4 0", "in-flight:crashed");
    expect(await r.send(jobHandle("o-4", outboundJob("s4")))).toEqual({
      providerMessageIds: [""],
      uncertainParts: 1,
    });
    expect(r.requests).toEqual([]);
    expect(r.queues.toXmpp.get(errorJobId("o-4"))).toMatchObject({ condition: "remote-server-timeout" });
  });

  it("releases the claim when the provider fails, so the retry sends", async () => {
    const r = rig([new RetryableError("busy", 5000), "SM5"]);
    const err = await r.send(jobHandle("o-5", outboundJob("s5"))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBe(5000);
    expect(r.parts.parts.has("o-5 0")).toBe(false);
    expect(r.parts.notes.get("o-5")).toBeUndefined();
    expect((await r.send(jobHandle("o-5", outboundJob("s5"), 1))).providerMessageIds).toEqual(["SM5"]);
    expect(r.outcomes).toEqual(["retried", "sent"]);
  });

  it("takes back a claim left by an attempt whose store failed before the request, and sends once", async () => {
    const r = rig(["SM6"]);
    // The claim is stored but its answer is lost, and taking it back fails too.
    r.parts.fault = (op) => (op === "open" ? "lose-answer" : op === "release" ? "fail" : "ok");
    await expect(r.send(jobHandle("o-6", outboundJob("s6")))).rejects.toBeInstanceOf(RetryableError);
    expect(r.parts.parts.get("o-6 0")).toMatch(/^in-flight:/);
    expect([...(r.parts.notes.get("o-6")?.values() ?? [])]).toEqual(["never-sent"]);
    r.parts.fault = () => "ok";
    expect((await r.send(jobHandle("o-6", outboundJob("s6"), 1))).providerMessageIds).toEqual(["SM6"]);
    expect(r.requests).toHaveLength(1);
  });

  it("records the id of a part the provider accepted when the store failed right after", async () => {
    const r = rig(["SM7"]);
    r.parts.fault = (op) => (op === "record" ? "fail" : "ok");
    await expect(r.send(jobHandle("o-7", outboundJob("s7")))).rejects.toBeInstanceOf(RetryableError);
    expect([...(r.parts.notes.get("o-7")?.values() ?? [])]).toEqual(["sent:SM7"]);
    r.parts.fault = () => "ok";
    expect(await r.send(jobHandle("o-7", outboundJob("s7"), 1))).toEqual({
      providerMessageIds: ["SM7"],
      uncertainParts: 0,
    });
    expect(r.requests).toHaveLength(1);
    expect(r.queues.toXmpp.has(errorJobId("o-7"))).toBe(false);
  });

  it("tells the sender after the last attempt, in the adapter's words", async () => {
    const r = rig([
      new RetryableError("ECONNREFUSED 10.0.0.5:443", undefined, undefined, "the provider is down"),
    ]);
    await expect(r.send(jobHandle("o-8", outboundJob("s8"), 2, 3))).rejects.toBeInstanceOf(RetryableError);
    const text = (r.queues.toXmpp.get(errorJobId("o-8")) as { text: string }).text;
    expect(text).toMatch(/after 3 attempts \(the provider is down\)/);
    expect(text).not.toMatch(/10\.0\.0\.5/);
  });

  it("applies a delivery report that arrived before the message was recorded", async () => {
    const r = rig(["SM9"]);
    await r.log.holdEarly("sms", "SM9", { kind: "status", providerMessageId: "SM9", status: "failed" }, 600);
    await r.send(jobHandle("o-9", outboundJob("s9")));
    expect(r.queues.toXmpp.get(deliveryErrorJobId("o-9"))).toMatchObject({ kind: "error" });
  });

  it("keeps only the start of a refused body, and fails it for good", async () => {
    const r = rig([], "refuse");
    const job = jobHandle("o-10", outboundJob("s10", { body: "x".repeat(300), replaces: "old" }));
    await expect(r.send(job)).rejects.toBeInstanceOf(PermanentFailure);
    expect(job.kept).toMatchObject({ bodyChars: 300 });
    expect(r.queues.toXmpp.get(errorJobId("o-10"))).toMatchObject({ condition: "feature-not-implemented" });
  });
});

/** A ledger that books part 0's slot in open (answering `wait`), as the Redis one does. */
class SlotBookingLedger extends MemoryPartLedger {
  readonly slots: string[] = [];
  constructor(private readonly wait: number) {
    super(new MemoryOptOuts(), new MemoryMessageLog());
  }
  override async open(job: JobKey & { from: string; to: string }, claim: string, slot?: SlotRequest) {
    const opened = await super.open(job, claim);
    if (slot === undefined) return opened;
    this.slots.push(slot.slot);
    return { ...opened, slotWait: this.wait };
  }
}

describe("the send slot of part 0, booked with its claim", () => {
  const pacing = (answers: number[]) => {
    const asked: string[] = [];
    const p: Pacing = {
      pacer: {
        take: async (_g, _n, _p, slot) => {
          asked.push(slot);
          return answers.shift() ?? 0;
        },
      },
      paceOf: () => ({ perSecond: 10, burst: 1 }),
    };
    return { p, asked };
  };

  it("asks the pacer only for the later parts when open booked the first", async () => {
    const parts = new SlotBookingLedger(0);
    const { p, asked } = pacing([]);
    const r = rig(["SMa", "SMb", "SMc"], "send", { parts, pacing: p });
    await r.send(jobHandle("o-2", outboundJob("s2", { body: LONG })));
    expect(parts.slots).toEqual(["o-2#0"]);
    expect(asked).toEqual(["o-2#1", "o-2#2"]);
  });

  it("after a short wait open answered, asks the pacer again for the same slot", async () => {
    const parts = new SlotBookingLedger(20);
    const { p, asked } = pacing([0]);
    const r = rig(["SM1"], "send", { parts, pacing: p });
    await r.send(jobHandle("o-1", outboundJob("s1")));
    expect(asked).toEqual(["o-1#0"]);
    expect(r.requests).toHaveLength(1);
  });

  it("asks the pacer for part 0 when the ledger booked nothing", async () => {
    const { p, asked } = pacing([]);
    const r = rig(["SM1"], "send", { pacing: p });
    await r.send(jobHandle("o-1", outboundJob("s1")));
    expect(asked).toEqual(["o-1#0"]);
  });
});
