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
 * The two state changes of every send are each one Lua script for all the jobs of one event-loop
 * turn (turn-script.ts): `open` reads the pair's opt-out (optouts.ts's key and reading) and claims
 * part 0 (SET NX); `recordSent` replaces the claim with the provider's id, writes the message
 * log's record and takes a report that came early (GETDEL, last: a failed script took none), with
 * message-map.ts's keys and encoding. A worker running 100 jobs gets their provider answers in
 * the same turn: one script call for all of their records instead of three commands each.
 * Later parts are claimed with a plain SET NX on a pipeline per turn (tick-batch.ts). A claim that
 * fails (a retried job) costs one more round trip, the claim script, to see what the earlier
 * attempt left.
 */
import type { Redis } from "ioredis";
import { CLAIMED, type PartState, stateOf } from "../core/pipeline/part-state.js";
import type { SentRecord } from "../core/pipeline/records.js";
import type { JobKey, PartLedger, SlotRequest } from "../core/ports.js";
import { replyAt } from "./batch.js";
import { storeKey } from "./keys.js";
import type { MessageMap } from "./message-map.js";
import type { OptOutStore } from "./optouts.js";
import { PACE_TAKE_LUA, type RedisSendPacer } from "./send-pacer.js";
import { TickBatch } from "./tick-batch.js";
import { TurnScript } from "./turn-script.js";

// One job's open (turn-script.ts). KEYS: the pair's opt-out, part 0, and with a slot to book
// the pacer's three keys (send-pacer.ts). Fields: our claim, ttl seconds, and with a slot the
// pacer's three fields. Returns the opt-out's value (false: none), 1 when the claim was stored
// (else 0), and the slot's wait when it was booked (false: not booked; only for a stored claim of
// a pair not opted out, as the worker would have asked the pacer). The opt-out is read first, so
// a failed read leaves no claim behind.
const OPEN = `
local optout = redis.call('GET', KEYS[base + 1])
if not redis.call('SET', KEYS[base + 2], f[1], 'EX', f[2], 'NX') then return optout, 0, false end
if optout or f[3] == nil then return optout, 1, false end
${PACE_TAKE_LUA}
return optout, 1, pace_take(KEYS[base + 3], KEYS[base + 4], KEYS[base + 5], tonumber(f[3]), tonumber(f[4]), tonumber(f[5]))
`;

// One part's record (turn-script.ts). KEYS: the part, the message log's record, the early
// report. Fields: the part's ttl, the record's ttl (seconds). Raw: the provider's id, the record
// (JSON). Returns the early report (false: none) and 0. Taking the report is the last step: when
// the script fails, the report is still held for the report's own side.
const RECORD_SENT = `
redis.call('SET', KEYS[base + 1], raw[1], 'EX', f[1])
redis.call('SET', KEYS[base + 2], raw[2], 'EX', f[2])
return redis.call('GETDEL', KEYS[base + 3]), 0
`;

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
  /** Later parts' claims of one event-loop turn share a pipeline (tick-batch.ts). */
  private readonly ticks: TickBatch;
  private readonly opens: TurnScript;
  private readonly records: TurnScript;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    private readonly optOuts: OptOutStore,
    private readonly messageMap: MessageMap,
    /** For the attempt notes: a connection that waits for Redis (maxRetriesPerRequest: null). */
    private readonly durable: Redis = redis,
    /** Whose keys part 0's slot is booked under in `open`; absent: open books no slot. */
    private readonly pacer?: Pick<RedisSendPacer, "booking">,
  ) {
    this.ticks = new TickBatch(redis);
    this.opens = new TurnScript(redis, "part ledger open", OPEN, 3);
    this.records = new TurnScript(redis, "part ledger record", RECORD_SENT, 2);
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
    slot?: SlotRequest,
  ): Promise<{ optedOut: boolean; state: PartState; slotWait?: number }> {
    const keys = [this.optOuts.pairKey(job.gatewayId, job.from, job.to), this.key(job, 0)];
    const fields: (string | number)[] = [claim, this.ttlSeconds];
    const booking = slot && this.pacer?.booking(job.gatewayId, job.from, slot.pace, slot.slot, slot.now);
    if (booking) {
      keys.push(...booking.keys);
      fields.push(...booking.fields);
    }
    const [optOut, stored, wait] = await this.opens.run(keys, fields);
    const state = await this.settle(job, 0, claim, stored === 1);
    const optedOut = this.optOuts.readReply(optOut) !== undefined;
    return typeof wait === "number" ? { optedOut, state, slotWait: wait } : { optedOut, state };
  }

  async claim(job: JobKey, part: number, claim: string): Promise<PartState> {
    return this.ticks.run((batch) => {
      const at = batch.length;
      batch.set(this.key(job, part), claim, "EX", this.ttlSeconds, "NX");
      return (replies) => this.settle(job, part, claim, replyAt(replies, at) !== null);
    });
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
    const entry = this.messageMap.recordEntry(job.gatewayId, providerMessageId, record);
    const earlyKey = this.messageMap.earlyKeyOf(job.gatewayId, providerMessageId, record.account);
    // A failed script rejects here, having taken no report (GETDEL is its last step).
    const [early] = await this.records.run(
      [this.key(job, part), entry.key, earlyKey],
      [this.ttlSeconds, entry.ttlSeconds],
      [providerMessageId, entry.value],
    );
    return { early: this.messageMap.readEarly(early), confirm: () => undefined };
  }

  /**
   * Where a part stands after its claim: ours when the claim was stored, else what the earlier
   * attempt left (the claim script, one more round trip; only a retried job pays it).
   *
   * `claim` is unique per attempt: when Redis fails after storing it but before answering, the
   * client replays the command, and finding our own claim then is not a crashed earlier attempt.
   */
  private async settle(job: JobKey, part: number, claim: string, stored: boolean): Promise<PartState> {
    if (stored) return CLAIMED;
    const key = this.key(job, part);
    const reply = await this.redis.eval(CLAIM, 2, key, this.notesKey(job), claim, this.ttlSeconds);
    const [verdict, held, note] = Array.isArray(reply) ? reply.map(String) : [];
    if (verdict === "claimed") return CLAIMED;
    return stateOf(held || undefined, note || undefined);
  }

  private notesKey(job: JobKey): string {
    return storeKey(this.prefix, "attempt-notes", job.gatewayId, job.jobId);
  }

  private key(job: JobKey, part: number): string {
    return storeKey(this.prefix, "sent", job.gatewayId, job.jobId, String(part));
  }
}
