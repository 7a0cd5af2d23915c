/**
 * The ports of the message pipeline (src/core/pipeline): what it needs from the outside, written
 * in its own terms. queue/ implements the enqueues, store/ the Redis state, xmpp/ the delivery to
 * the XMPP server; main.ts builds the implementations and hands them in. Nothing here names a
 * wire library.
 */
import type { RefusalCondition } from "./errors.js";
import type { OutboundJob, ToXmppJob } from "./pipeline/jobs.js";
import type { PartState } from "./pipeline/part-state.js";
import type { SentRecord } from "./pipeline/records.js";

// --- enqueue (queue/producer.ts) ---

export type EnqueueOutcome = "enqueued" | "duplicate";

/** The queue stopped answering after an add may have reached it: the job may or may not exist. */
export class EnqueueUncertainError extends Error {
  override readonly name = "EnqueueUncertainError";
}

/** Jobs into the queues, with ids derived from upstream ids (a second add of an id is "duplicate"). */
export interface Enqueue {
  /**
   * `gate`, when given, is a check that must pass before the job is added (the per-user limits):
   * the duplicate check runs while it is on its way, so the two cost one round trip, not two. A
   * rejected gate is the enqueue's rejection, and nothing is added.
   */
  enqueueOutbound(job: OutboundJob, jobId: string, gate?: Promise<unknown>): Promise<EnqueueOutcome>;
  enqueueToXmpp(gatewayId: string, job: ToXmppJob, jobId: string): Promise<EnqueueOutcome>;
}

// --- opt-outs (store/optouts.ts) ---

export type OptOutSource = "inbound" | "provider-error";

export interface OptOuts {
  /** Records `state` as of `at` (ms) unless a newer event is stored; "stale" when not written. */
  apply(
    gatewayId: string,
    ours: string,
    theirs: string,
    state: "stop" | "start",
    at: number,
    source: OptOutSource,
  ): Promise<"applied" | "stale">;
  /** A STOP learnt now (e.g. the provider refused a send to an opted-out recipient). */
  record(gatewayId: string, ours: string, theirs: string, source: OptOutSource): Promise<void>;
}

// --- the message log and early reports (store/message-map.ts) ---

export interface MessageLog {
  /** The record behind a provider id, or undefined when unknown, expired or unreadable. */
  get(gatewayId: string, providerMessageId: string): Promise<SentRecord | undefined>;
  /** Notes one part as delivered; returns how many distinct parts of the job are delivered. */
  markDelivered(gatewayId: string, jobId: string, providerMessageId: string): Promise<number>;
  /** Keeps a report for an id not recorded yet; false when the signer holds too many already. */
  holdEarly(
    gatewayId: string,
    providerMessageId: string,
    report: object,
    ttlSeconds: number,
    limit?: { readonly signer: string; readonly max: number },
  ): Promise<boolean>;
  /** The report `signer` holds for the id, once (unchecked: the caller parses it). */
  takeEarly(gatewayId: string, providerMessageId: string, signer?: string): Promise<unknown>;
}

// --- part claims (store/sent-parts.ts) ---

/** One outbound job, as the part ledger addresses it. */
export interface JobKey {
  readonly gatewayId: string;
  readonly jobId: string;
}

/** Part 0's send slot of its sender number, asked for in the round trip that claims it. */
export interface SlotRequest {
  readonly pace: Pace;
  /** The slot's name (job and part), as SendPacer.take takes it. */
  readonly slot: string;
  readonly now: number;
}

/**
 * The send state of each part of an outbound job (part-state.ts), with what a send needs from
 * the other stores in the same round trip (the opt-out check, the message log).
 */
export interface PartLedger {
  /**
   * The opt-out check of `from` -> `to` and the claim of part 0, in one round trip. With `slot`,
   * a ledger able to book it does so in the same trip when the claim is stored and the pair is
   * not opted out: `slotWait` is then what SendPacer.take would have answered at `slot.now`;
   * absent, the slot is not booked.
   */
  open(
    job: JobKey & { readonly from: string; readonly to: string },
    claim: string,
    slot?: SlotRequest,
  ): Promise<{ readonly optedOut: boolean; readonly state: PartState; readonly slotWait?: number }>;
  /** Claims a part (one round trip; one more only when another attempt holds it). */
  claim(job: JobKey, part: number, claim: string): Promise<PartState>;
  /** Gives up a claim whose provider request failed or was never made. */
  release(job: JobKey, part: number): Promise<void>;
  /**
   * After the provider accepted a part, in one round trip: its id replaces the claim, the message
   * log gets `record`, and a report that came early (signed by `record.account`) is taken.
   * It rejects, or `confirm` throws, when the id or the record was not written.
   */
  recordSent(
    job: JobKey,
    part: number,
    providerMessageId: string,
    record: SentRecord,
  ): Promise<{ readonly early: unknown; confirm(): void }>;
  /**
   * Leaves notes (claim -> note, part-state.ts) for the job's next attempt. Waits for the store
   * rather than failing fast: a note lost makes a claim count as "may have been sent".
   */
  leaveNotes(job: JobKey, notes: ReadonlyMap<string, string>): Promise<void>;
}

// --- contacts (store/contacts.ts) ---

export interface Contacts {
  /** Records that `jid` heard from `address`; true the first time. */
  firstTime(gatewayId: string, jid: string, address: string): Promise<boolean>;
}

// --- delivery to XMPP (xmpp/xmpp-outlet.ts) ---

/**
 * Writes stanzas to the live XMPP stream; each resolves once the server proved it read them and
 * rejects when the stream died first (the delivery is then tried again with the same id).
 */
export interface XmppOutlet {
  /** An error from the contact JID the user wrote to (bare, or with `contactResource`). */
  error(d: {
    readonly to: string;
    readonly contactLocalpart: string;
    readonly contactResource?: string;
    readonly id?: string;
    readonly condition: RefusalCondition;
    readonly text: string;
  }): Promise<void>;
  /** A XEP-0184 receipt for the user's stanza `receivedId`. */
  receipt(d: {
    readonly to: string;
    readonly contactLocalpart: string;
    readonly id: string;
    readonly receivedId: string;
  }): Promise<void>;
  /** A text (and its media) from a contact, with a nickname the first time (XEP-0172). */
  message(d: {
    readonly to: string;
    readonly contactLocalpart: string;
    readonly id: string;
    readonly body: string;
    readonly mediaUrls: readonly string[];
    /** XMPP <subject/> of the text. */
    readonly subject?: string;
    readonly nick?: string;
  }): Promise<void>;
}

/** Whether the XMPP stream is up, and news when it goes up or down (the component transport). */
export interface LinkState {
  readonly online: boolean;
  on(event: "online" | "offline", listener: () => void): unknown;
  off(event: "online" | "offline", listener: () => void): unknown;
}

// --- the queue admin view (queue/admin.ts) ---

export const JOB_STATES = ["waiting", "active", "delayed", "failed", "completed", "paused"] as const;
export type JobState = (typeof JOB_STATES)[number];

// --- an outbound job as a worker hands it to the pipeline (queue/outbound-worker.ts) ---

export interface JobHandle {
  readonly id: string;
  /** Unchecked: the pipeline parses it. */
  readonly data: unknown;
  /** Attempts made before this one, and how many it may have. */
  readonly attemptsMade: number;
  readonly attempts: number;
  /** Replaces the job's stored data (what a job failed for good keeps). */
  keep(data: object): Promise<void>;
}

/** Thrown by the pipeline for a job that fails for good (no retry; kept in the failed set). */
export class PermanentFailure extends Error {
  override readonly name = "PermanentFailure";
}

// --- pacing per sender number (store/send-pacer.ts) ---

/** How fast one sender number may send: `perSecond` on average, `burst` at once. */
export interface Pace {
  readonly perSecond: number;
  readonly burst: number;
}

/** A pace, or "off": not paced. */
export type PaceSetting = Pace | "off";

/**
 * Slots for sends of one number, shared by every worker process. `take` books the send `slot`
 * (a stable id: the job and part) and answers 0 when it may go now, else the milliseconds until its
 * booked time; asked again for the same slot, it answers the time left, or 0 once it has come.
 */
export interface SendPacer {
  take(gatewayId: string, number: string, pace: Pace, slot: string, now: number): Promise<number>;
}

/** Thrown by the pipeline for a job that must wait for its number's pace until `untilMs` (not an attempt). */
export class NotYet extends Error {
  override readonly name = "NotYet";
  constructor(readonly untilMs: number) {
    super(`paced: not before ${new Date(untilMs).toISOString()}`);
  }
}
