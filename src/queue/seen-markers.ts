/**
 * The seen markers of upstream ids (a stanza's, a webhook's), in three steps:
 * - claim: before anything is added, each new id's marker is set to "claimed" for a short life,
 *   atomically (SET NX in one script for the whole batch). An id already marked "1" was enqueued
 *   before: a duplicate. An id another producer has claimed and not yet marked is in flight there:
 *   the caller asks again shortly (the other either marks it, releases it or dies and its claim
 *   runs out), so two processes given one id at the same moment never both add it.
 * - mark: once the job exists, the marker becomes "1" for the dedup life. A batch job writes its
 *   markers in the MULTI that adds it, so no crash can leave its messages added but unmarked.
 * - release: a claim whose add did not happen (a refused gate, a failed add) is dropped at once.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

const CLAIMED = "claimed";

/** 1: claimed now (new); 0: marked before (a duplicate); 2: claimed by another producer. */
const CLAIM = `
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then
    out[i] = 1
  elseif redis.call('GET', key) == ARGV[1] then
    out[i] = 2
  else
    out[i] = 0
  end
end
return out
`;

const MARK = `
for _, key in ipairs(KEYS) do redis.call('SET', key, '1', 'EX', ARGV[1]) end
return #KEYS
`;

const RELEASE = `
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then n = n + redis.call('DEL', key) end
end
return n
`;

export type ClaimAnswer = "new" | "seen" | "claimed-elsewhere";

const sha = (body: string) => createHash("sha1").update(body).digest("hex");
const SHAS = new Map([CLAIM, MARK, RELEASE].map((body) => [body, sha(body)]));

export class SeenMarkers {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    /** How long a claim lives when its producer never marks nor releases it (a crash). */
    private readonly claimMs: number,
  ) {}

  async claim(keys: readonly string[]): Promise<ClaimAnswer[]> {
    if (keys.length === 0) return [];
    const reply = await this.run(CLAIM, keys, [CLAIMED, String(this.claimMs)]);
    if (!Array.isArray(reply) || reply.length !== keys.length) {
      throw new Error(`unexpected claim reply ${JSON.stringify(reply)}`);
    }
    return reply.map((r) => (r === 1 ? "new" : r === 2 ? "claimed-elsewhere" : "seen"));
  }

  async mark(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.run(MARK, keys, [String(this.ttlSeconds)]);
  }

  /** Queues the marks on `multi` (BullMQ's view of the ioredis transaction that adds their job). */
  markIn(multi: { runCommand(name: string, args: unknown[]): unknown }, keys: readonly string[]): void {
    multi.runCommand("eval", [MARK, keys.length, ...keys, String(this.ttlSeconds)]);
  }

  /** Drops claims that will not be marked; a marker already "1" is left alone. */
  async release(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.run(RELEASE, keys, [CLAIMED]);
  }

  private async run(body: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(SHAS.get(body) ?? sha(body), keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return await this.redis.eval(body, keys.length, ...keys, ...args);
    }
  }
}
