/**
 * The pipeline's ports (src/core/ports.ts) in memory, for unit tests of src/core/pipeline: no
 * Redis, no BullMQ, no XMPP. Each keeps what it was asked, for the tests to look at.
 */
import type { OutboundJob, ToXmppJob } from "../../src/core/pipeline/jobs.js";
import { CLAIMED, NEVER_SENT, type PartState, stateOf } from "../../src/core/pipeline/part-state.js";
import type { SentRecord } from "../../src/core/pipeline/records.js";
import type {
  Contacts,
  Enqueue,
  EnqueueOutcome,
  JobHandle,
  JobKey,
  MessageLog,
  OptOuts,
  PartLedger,
  XmppOutlet,
} from "../../src/core/ports.js";

export class MemoryQueues implements Enqueue {
  readonly outbound = new Map<string, OutboundJob>();
  readonly toXmpp = new Map<string, ToXmppJob>();

  async enqueueOutbound(job: OutboundJob, jobId: string, gate?: Promise<unknown>): Promise<EnqueueOutcome> {
    await gate; // the caller's own check (the per-user limits): rejected, nothing is added
    if (this.outbound.has(jobId)) return "duplicate";
    this.outbound.set(jobId, job);
    return "enqueued";
  }

  async enqueueToXmpp(_gatewayId: string, job: ToXmppJob, jobId: string): Promise<EnqueueOutcome> {
    if (this.toXmpp.has(jobId)) return "duplicate";
    this.toXmpp.set(jobId, job);
    return "enqueued";
  }
}

export class MemoryOptOuts implements OptOuts {
  readonly pairs = new Map<string, { state: "stop" | "start"; at: number }>();

  async apply(gatewayId: string, ours: string, theirs: string, state: "stop" | "start", at: number) {
    const key = `${gatewayId} ${ours} ${theirs}`;
    const old = this.pairs.get(key);
    if (old && (old.at > at || (old.at === at && old.state === "stop" && state !== "stop"))) return "stale";
    this.pairs.set(key, { state, at });
    return "applied";
  }

  async record(gatewayId: string, ours: string, theirs: string): Promise<void> {
    await this.apply(gatewayId, ours, theirs, "stop", Date.now());
  }

  optedOut(gatewayId: string, ours: string, theirs: string): boolean {
    return this.pairs.get(`${gatewayId} ${ours} ${theirs}`)?.state === "stop";
  }
}

export class MemoryMessageLog implements MessageLog {
  readonly records = new Map<string, SentRecord>();
  readonly early = new Map<string, unknown>();
  readonly delivered = new Map<string, Set<string>>();

  async get(_gatewayId: string, providerMessageId: string) {
    return this.records.get(providerMessageId);
  }

  async markDelivered(_gatewayId: string, jobId: string, providerMessageId: string) {
    const parts = this.delivered.get(jobId) ?? new Set<string>();
    parts.add(providerMessageId);
    this.delivered.set(jobId, parts);
    return parts.size;
  }

  async holdEarly(_gatewayId: string, id: string, report: object, _ttl: number, limit?: { signer: string }) {
    this.early.set(`${id} ${limit?.signer ?? ""}`, report);
    return true;
  }

  async takeEarly(_gatewayId: string, id: string, signer?: string) {
    const key = `${id} ${signer ?? ""}`;
    const report = this.early.get(key);
    this.early.delete(key);
    return report;
  }
}

/** The part ledger over the other memory ports, with the same rules as store/sent-parts.ts. */
export class MemoryPartLedger implements PartLedger {
  readonly parts = new Map<string, string>();
  readonly notes = new Map<string, Map<string, string>>();
  /**
   * How each operation goes: "fail" throws before it runs, "lose-answer" runs it and then throws
   * (as a connection dropped before the answer would).
   */
  fault: (op: "open" | "claim" | "record" | "release") => "ok" | "fail" | "lose-answer" = () => "ok";

  constructor(
    private readonly optOuts: MemoryOptOuts,
    private readonly log: MemoryMessageLog,
  ) {}

  async open(job: JobKey & { from: string; to: string }, claim: string) {
    return this.run("open", () => ({
      optedOut: this.optOuts.optedOut(job.gatewayId, job.from, job.to),
      state: this.take(job, 0, claim),
    }));
  }

  async claim(job: JobKey, part: number, claim: string): Promise<PartState> {
    return this.run("claim", () => this.take(job, part, claim));
  }

  async release(job: JobKey, part: number) {
    this.run("release", () => this.parts.delete(`${job.jobId} ${part}`));
  }

  async recordSent(job: JobKey, part: number, providerMessageId: string, record: SentRecord) {
    return this.run("record", () => {
      this.parts.set(`${job.jobId} ${part}`, providerMessageId);
      this.log.records.set(providerMessageId, record);
      const key = `${providerMessageId} ${record.account ?? ""}`;
      const early = this.log.early.get(key);
      this.log.early.delete(key);
      return { early, confirm: () => {} };
    });
  }

  async leaveNotes(job: JobKey, notes: ReadonlyMap<string, string>) {
    if (notes.size === 0) return;
    const kept = this.notes.get(job.jobId) ?? new Map<string, string>();
    for (const [claim, note] of notes) kept.set(claim, note);
    this.notes.set(job.jobId, kept);
  }

  private run<T>(op: "open" | "claim" | "record" | "release", body: () => T): T {
    const how = this.fault(op);
    if (how === "fail") throw new Error("Connection is closed.");
    const result = body();
    if (how === "lose-answer") throw new Error("Connection is closed.");
    return result;
  }

  private take(job: JobKey, part: number, claim: string): PartState {
    const key = `${job.jobId} ${part}`;
    const current = this.parts.get(key);
    const note = current === undefined ? undefined : this.notes.get(job.jobId)?.get(current);
    if (current === undefined || current === claim || note === NEVER_SENT) {
      this.parts.set(key, claim);
      return CLAIMED;
    }
    return stateOf(current, note);
  }
}

export class MemoryContacts implements Contacts {
  private readonly seen = new Set<string>();
  async firstTime(gatewayId: string, jid: string, address: string) {
    const pair = `${gatewayId} ${jid} ${address}`;
    if (this.seen.has(pair)) return false;
    this.seen.add(pair);
    return true;
  }
}

/** The stanzas the pipeline asked the XMPP side to write. */
export class MemoryOutlet implements XmppOutlet {
  readonly written: { kind: "error" | "receipt" | "message"; d: object }[] = [];
  async error(d: Parameters<XmppOutlet["error"]>[0]) {
    this.written.push({ kind: "error", d });
  }
  async receipt(d: Parameters<XmppOutlet["receipt"]>[0]) {
    this.written.push({ kind: "receipt", d });
  }
  async message(d: Parameters<XmppOutlet["message"]>[0]) {
    this.written.push({ kind: "message", d });
  }
}

/** A job handle as a worker would hand it over; `kept` is what the job's data became. */
export function jobHandle(id: string, data: object, attemptsMade = 0, attempts = 3) {
  const handle: JobHandle & { kept?: object } = {
    id,
    data,
    attemptsMade,
    attempts,
    keep: async (kept) => {
      handle.kept = kept;
    },
  };
  return handle;
}
