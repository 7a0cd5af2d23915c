/**
 * The part ledger (core/ports.ts PartLedger): the send state of each part of an outbound job,
 * "in flight" (with a claim unique to the attempt) while the provider request runs, then the
 * provider's id (core/pipeline/part-state.ts). A retried job skips recorded parts and does not
 * resend one that was in flight when its attempt died.
 *
 * Shape (both with the dedup TTL):
 * - `{prefix}:sent:<gateway>:<job id>:<part>`: a string, the claim (`in-flight:<uuid>`) or the
 *   provider's id;
 * - `{prefix}:attempt-notes:<gateway>:<job id>`: a hash, claim -> note (`never-sent` or
 *   `sent:<provider id>`), what a failed attempt left for the next one (part-state.ts). Written
 *   by the failing attempt (MULTI: HSET, EXPIRE) on a connection that waits for Redis; read and
 *   consumed only by the claim script, so taking over an abandoned claim is one check-and-set.
 *
 * Each call is one round trip shared with the other jobs of the same event-loop turn
 * (tick-batch.ts): the opt-out check rides with the first claim, the message log's record and
 * early report with the id (the stores' `...In` methods, batch.ts).
 */
import type { ChainableCommander, Redis } from "ioredis";
import { CLAIMED, type PartState, stateOf } from "../core/pipeline/part-state.js";
import type { SentRecord } from "../core/pipeline/records.js";
import type { JobKey, PartLedger } from "../core/ports.js";
import { type BatchReplies, replyAt } from "./batch.js";
import { storeKey } from "./keys.js";
import type { MessageMap } from "./message-map.js";
import type { OptOutStore } from "./optouts.js";
import { TickBatch } from "./tick-batch.js";

// A part another attempt holds (SET NX failed). KEYS: the part, the job's notes. ARGV: our
// claim, ttl seconds. Returns {"claimed"} when the part is ours (our own claim, replayed; or a
// claim noted never-sent, taken over and its note consumed), else {"held", value, note}.
const CLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then return {'claimed'} end
if not cur then return {'held', '', ''} end
local note = redis.call('HGET', KEYS[2], cur)
if note == 'never-sent' then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  redis.call('HDEL', KEYS[2], cur)
  return {'claimed'}
end
return {'held', cur, note or ''}
`;

export class SentParts implements PartLedger {
  /** Every job's ledger commands of one event-loop turn share a pipeline (tick-batch.ts). */
  private readonly ticks: TickBatch;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    private readonly optOuts: OptOutStore,
    private readonly messageMap: MessageMap,
    /** For the attempt notes: a connection that waits for Redis (maxRetriesPerRequest: null). */
    private readonly durable: Redis = redis,
  ) {
    this.ticks = new TickBatch(redis);
  }

  async leaveNotes(job: JobKey, notes: ReadonlyMap<string, string>): Promise<void> {
    if (notes.size === 0) return;
    const key = this.notesKey(job);
    const replies = await this.durable
      .multi()
      .hset(key, Object.fromEntries(notes))
      .expire(key, this.ttlSeconds)
      .exec();
    replyAt(replies, 0);
  }

  async open(
    job: JobKey & { readonly from: string; readonly to: string },
    claim: string,
  ): Promise<{ optedOut: boolean; state: PartState }> {
    return this.ticks.run((batch) => {
      const optedOut = this.optOuts.getIn(batch, job.gatewayId, job.from, job.to);
      const claimed = this.claimIn(batch, job, 0, claim);
      return async (replies) => {
        const state = await claimed(replies);
        return { optedOut: optedOut(replies) !== undefined, state };
      };
    });
  }

  async claim(job: JobKey, part: number, claim: string): Promise<PartState> {
    return this.ticks.run((batch) => this.claimIn(batch, job, part, claim));
  }

  async release(job: JobKey, part: number): Promise<void> {
    await this.redis.del(this.key(job, part));
  }

  async recordSent(
    job: JobKey,
    part: number,
    providerMessageId: string,
    record: SentRecord,
  ): Promise<{ early: unknown; confirm(): void }> {
    return this.ticks.run((batch) => {
      const at = batch.length;
      batch.set(this.key(job, part), providerMessageId, "EX", this.ttlSeconds);
      const mapped = this.messageMap.putIn(batch, job.gatewayId, providerMessageId, record);
      const early = this.messageMap.takeEarlyIn(batch, job.gatewayId, providerMessageId, record.account);
      return (replies) => ({
        early: early(replies),
        confirm: () => {
          replyAt(replies, at);
          mapped(replies);
        },
      });
    });
  }

  /**
   * Queues the claim of a part on `batch`. Reading the replies costs one more round trip (the
   * claim script) only when the claim failed (a retried job), to see what the earlier attempt
   * left.
   *
   * `claim` is unique per attempt: when Redis fails after storing it but before answering, the
   * client replays the SET, and finding our own claim then is not a crashed earlier attempt.
   */
  private claimIn(
    batch: ChainableCommander,
    job: JobKey,
    part: number,
    claim: string,
  ): (replies: BatchReplies) => Promise<PartState> {
    const key = this.key(job, part);
    const at = batch.length;
    batch.set(key, claim, "EX", this.ttlSeconds, "NX");
    return async (replies) => {
      if (replyAt(replies, at) !== null) return CLAIMED;
      const reply = await this.redis.eval(CLAIM, 2, key, this.notesKey(job), claim, this.ttlSeconds);
      const [verdict, stored, note] = Array.isArray(reply) ? reply.map(String) : [];
      if (verdict === "claimed") return CLAIMED;
      return stateOf(stored || undefined, note || undefined);
    };
  }

  private notesKey(job: JobKey): string {
    return storeKey(this.prefix, "attempt-notes", job.gatewayId, job.jobId);
  }

  private key(job: JobKey, part: number): string {
    return storeKey(this.prefix, "sent", job.gatewayId, job.jobId, String(part));
  }
}
