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
 * The two state changes of every send are each one Lua script, queued on a pipeline shared with
 * the other jobs of the same event-loop turn (tick-batch.ts), so each is one command in one round
 * trip instead of two or three commands:
 * - `open`: reads the pair's opt-out (the opt-out store's key and reading, optouts.ts) and claims
 *   part 0 (SET NX);
 * - `recordSent`: the provider's id replaces the claim, the message log's record is written and a
 *   report that came early is taken (GETDEL), with message-map.ts's keys and encoding.
 * Later parts are claimed with a plain SET NX on the same pipeline. A claim that fails (a retried
 * job) costs one more round trip, the claim script, to see what the earlier attempt left.
 *
 * ioredis defines the scripts once per connection (defineCommand) and sends EVALSHA; it sends
 * EVAL instead the first time on each connection and, after one more round trip, when Redis lost
 * its script cache (NOSCRIPT after a restart or SCRIPT FLUSH).
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

// KEYS: the pair's opt-out, the part. ARGV: our claim, ttl seconds. Returns {opt-out value or
// nil, 1 when the claim was stored else 0}. The opt-out is read first, so a failed read leaves
// no claim behind.
const OPEN = `
local optout = redis.call('GET', KEYS[1])
local stored = redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2], 'NX')
return {optout, stored and 1 or 0}
`;

// KEYS: the part, the message log's record, the early report. ARGV: provider id, its ttl
// seconds, record JSON, its ttl seconds. Returns the early report or nil. Taking the report is
// the last step: when the script fails, the report is still held for the report's own side.
const RECORD_SENT = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
return redis.call('GETDEL', KEYS[3])
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

/** The scripts as ioredis defines them (defineCommand) on a connection and on its pipelines. */
interface LedgerCommands {
  xgwLedgerOpen(optOutKey: string, partKey: string, claim: string, ttlSeconds: number): unknown;
  xgwLedgerRecordSent(
    partKey: string,
    recordKey: string,
    earlyKey: string,
    providerMessageId: string,
    partTtlSeconds: number,
    record: string,
    recordTtlSeconds: number,
  ): unknown;
}

const SCRIPTS: readonly (readonly [keyof LedgerCommands, string, number])[] = [
  ["xgwLedgerOpen", OPEN, 2],
  ["xgwLedgerRecordSent", RECORD_SENT, 3],
];

function hasLedgerCommands(target: object): target is LedgerCommands {
  return SCRIPTS.every(([name]) => name in target);
}

/** `batch` with the scripts; a pipeline of the connection the constructor defined them on has them. */
function scripted(batch: ChainableCommander): ChainableCommander & LedgerCommands {
  if (hasLedgerCommands(batch)) return batch;
  throw new Error("the part ledger's scripts are not defined on this pipeline's connection");
}

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
    // Once per connection: stores sharing it (or a second ledger on it) reuse the definition.
    for (const [name, lua, numberOfKeys] of SCRIPTS) {
      if (!(name in redis)) redis.defineCommand(name, { lua, numberOfKeys });
    }
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
    const optOutKey = this.optOuts.pairKey(job.gatewayId, job.from, job.to);
    return this.ticks.run((batch) => {
      const at = batch.length;
      scripted(batch).xgwLedgerOpen(optOutKey, this.key(job, 0), claim, this.ttlSeconds);
      return async (replies) => {
        const { optOut, stored } = openReply(replyAt(replies, at));
        const state = await this.settle(job, 0, claim, stored);
        return { optedOut: this.optOuts.readReply(optOut) !== undefined, state };
      };
    });
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
    return this.ticks.run((batch) => {
      const at = batch.length;
      scripted(batch).xgwLedgerRecordSent(
        this.key(job, part),
        entry.key,
        earlyKey,
        providerMessageId,
        this.ttlSeconds,
        entry.value,
        entry.ttlSeconds,
      );
      return (replies: BatchReplies) => {
        const reply = replies?.[at];
        return {
          // A failed script took no report (see RECORD_SENT); confirm() says it failed.
          early: reply !== undefined && !reply[0] ? this.messageMap.readEarly(reply[1]) : undefined,
          confirm: () => void replyAt(replies, at),
        };
      };
    });
  }

  /**
   * Where a part stands after its claim was queued: ours when the claim was stored, else what
   * the earlier attempt left (the claim script, one more round trip; only a retried job pays it).
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

/** The open script's reply: the opt-out's value (null when none) and whether the claim was stored. */
function openReply(reply: unknown): { optOut: unknown; stored: boolean } {
  if (!Array.isArray(reply) || reply.length !== 2) {
    throw new Error(`unexpected reply from the part ledger's open script: ${JSON.stringify(reply)}`);
  }
  const [optOut, stored]: unknown[] = reply;
  return { optOut, stored: stored === 1 };
}
