/**
 * Provider message id -> the stanza it came from, for delivery reports (XEP-0184 receipts and
 * error stanzas). Records expire after a TTL; a message split into parts maps every part's id to
 * the same record and is reported delivered once every part is.
 *
 * Also the outbound worker's per-part send state (`SentParts`). The worker batches these commands
 * with others into pipelines: a `...In(batch, ...)` method queues its commands on `batch` and
 * returns a function that reads its own replies out of the batch's `exec()` result.
 */
import { randomUUID } from "node:crypto";
import type { ChainableCommander, Redis } from "ioredis";
import { z } from "zod";
import { storeKey } from "./keys.js";

const sentRecordSchema = z
  .object({
    /** The outbound job (one per stanza). */
    jobId: z.string().min(1),
    senderJid: z.string().min(1),
    stanzaId: z.string().optional(),
    contactLocalpart: z.string(),
    receipt: z.boolean(),
    /** How many provider messages the stanza became. */
    parts: z.number().int().min(1),
  })
  .strict();
export type SentRecord = z.infer<typeof sentRecordSchema>;

/** What `exec()` of a pipeline resolves to: one [error, reply] per queued command, in order. */
export type BatchReplies = readonly (readonly [Error | null, unknown])[] | null;

/** The reply of the command queued at `index`; throws that command's error. */
export function replyAt(replies: BatchReplies, index: number): unknown {
  const reply = replies?.[index];
  if (reply === undefined) throw new Error(`no reply to pipelined command #${index}`);
  if (reply[0]) throw reply[0];
  return reply[1];
}

function parseJson(raw: unknown): unknown {
  if (typeof raw !== "string") return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

export class MessageMap {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  /** Queues writing the record for `providerMessageId` on `batch`. */
  putIn(
    batch: ChainableCommander,
    gatewayId: string,
    providerMessageId: string,
    record: SentRecord,
  ): (replies: BatchReplies) => void {
    const value = JSON.stringify(sentRecordSchema.parse(record));
    const at = batch.length;
    batch.set(this.key(gatewayId, providerMessageId), value, "EX", this.ttlSeconds);
    return (replies) => void replyAt(replies, at);
  }

  /** The record, or undefined when unknown, expired or unreadable. */
  async get(gatewayId: string, providerMessageId: string): Promise<SentRecord | undefined> {
    const raw = await this.redis.get(this.key(gatewayId, providerMessageId));
    if (raw === null) return undefined;
    try {
      const parsed = sentRecordSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Notes one part as delivered; returns how many distinct parts of the job are delivered. */
  async markDelivered(gatewayId: string, jobId: string, providerMessageId: string): Promise<number> {
    const key = storeKey(this.prefix, "delivered", gatewayId, jobId);
    const [, , count] = (await this.redis
      .multi()
      .sadd(key, providerMessageId)
      .expire(key, this.ttlSeconds)
      .scard(key)
      .exec()) ?? [null, null, [null, 0]];
    const n = count?.[1];
    return typeof n === "number" ? n : 0;
  }

  /**
   * Keeps a delivery report that arrived before its message was recorded (a fast failure can beat
   * the worker's write); `takeEarly` hands it over once, to whichever side gets there first.
   * The value is stored as given; the caller validates it on the way out.
   */
  async holdEarly(
    gatewayId: string,
    providerMessageId: string,
    report: object,
    ttlSeconds: number,
  ): Promise<void> {
    await this.redis.set(
      this.earlyKey(gatewayId, providerMessageId),
      JSON.stringify(report),
      "EX",
      ttlSeconds,
    );
  }

  async takeEarly(gatewayId: string, providerMessageId: string): Promise<unknown> {
    return parseJson(await this.redis.getdel(this.earlyKey(gatewayId, providerMessageId)));
  }

  /** `takeEarly`, queued on `batch` (after the `putIn` of the record, so exactly one side takes it). */
  takeEarlyIn(
    batch: ChainableCommander,
    gatewayId: string,
    providerMessageId: string,
  ): (replies: BatchReplies) => unknown {
    const at = batch.length;
    batch.getdel(this.earlyKey(gatewayId, providerMessageId));
    return (replies) => parseJson(replyAt(replies, at));
  }

  private earlyKey(gatewayId: string, providerMessageId: string): string {
    return storeKey(this.prefix, "early-report", gatewayId, providerMessageId);
  }

  private key(gatewayId: string, providerMessageId: string): string {
    return storeKey(this.prefix, "msgmap", gatewayId, providerMessageId);
  }
}

const IN_FLIGHT = "in-flight";

/** Where a part of an outbound job stands, as a `SentParts.claimIn` found it. */
export type PartState =
  /** Ours to send: nobody sent it or is sending it. */
  | { readonly kind: "claimed" }
  /** An earlier attempt sent it and recorded the provider's id. */
  | { readonly kind: "sent"; readonly providerMessageId: string }
  /** An earlier attempt died while its request was with the provider: it may have been sent. */
  | { readonly kind: "in-flight" };

const CLAIMED: PartState = { kind: "claimed" };

/**
 * The send state of each part of an outbound job: "in flight" (with a claim unique to the
 * attempt) while its provider request runs, then the provider's id. A retried job skips recorded
 * parts and does not resend one that was in flight when its attempt died.
 */
export class SentParts {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * Queues the claim of a part on `batch`. Reading the replies costs one more round trip only
   * when the claim failed (a retried job), to see what the earlier attempt left.
   */
  claimIn(
    batch: ChainableCommander,
    gatewayId: string,
    jobId: string,
    part: number,
  ): (replies: BatchReplies) => Promise<PartState> {
    const key = this.key(gatewayId, jobId, part);
    // Unique per attempt: when Redis fails after storing the claim but before answering, the
    // client replays the SET; finding our own claim then is not a crashed earlier attempt.
    const claim = `${IN_FLIGHT}:${randomUUID()}`;
    const at = batch.length;
    batch.set(key, claim, "EX", this.ttlSeconds, "NX");
    return async (replies) => {
      if (replyAt(replies, at) !== null) return CLAIMED;
      // Gone meanwhile (expired or released): assume in flight rather than risk a second send.
      const current = (await this.redis.get(key)) ?? IN_FLIGHT;
      if (current === claim) return CLAIMED;
      if (current.startsWith(IN_FLIGHT)) return { kind: "in-flight" };
      return { kind: "sent", providerMessageId: current };
    };
  }

  async claim(gatewayId: string, jobId: string, part: number): Promise<PartState> {
    const batch = this.redis.pipeline();
    const read = this.claimIn(batch, gatewayId, jobId, part);
    return read(await batch.exec());
  }

  /** Gives up a claim whose provider request failed or was never made. */
  async release(gatewayId: string, jobId: string, part: number): Promise<void> {
    await this.redis.del(this.key(gatewayId, jobId, part));
  }

  /** Queues replacing the claim with the provider's id, once the provider accepted the part. */
  recordIn(
    batch: ChainableCommander,
    gatewayId: string,
    jobId: string,
    part: number,
    providerMessageId: string,
  ): (replies: BatchReplies) => void {
    const at = batch.length;
    batch.set(this.key(gatewayId, jobId, part), providerMessageId, "EX", this.ttlSeconds);
    return (replies) => void replyAt(replies, at);
  }

  private key(gatewayId: string, jobId: string, part: number): string {
    return storeKey(this.prefix, "sent", gatewayId, jobId, String(part));
  }
}
