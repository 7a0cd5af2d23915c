/**
 * The RateLimiter in Redis: one Lua script checks and counts every rule of a use atomically, so
 * every process on the Redis shares the counts. Checks asked for in one turn of the event loop go
 * to Redis as one pipeline of EVALSHA calls (one per check).
 *
 * Keys (all under the {prefix} hash tag, each with a TTL, so they are bounded):
 * - `limit:<rule id>`: a bucket is a hash {tokens, at} that expires when it would be full again;
 *   a window is a counter that expires when its window ends.
 * - `limit:once:<id>`: "this use was counted", for a day: a resent stanza is not counted twice.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { LimitRule, LimitVerdict, RateLimiter } from "../core/rate-limits.js";
import { storeKey } from "./keys.js";

// KEYS: one per rule, then (optional) the "counted once" marker.
// ARGV: now (ms), rule count n, marker TTL (s), then per rule: kind (b|w), capacity or limit,
// ms per token or window end (epoch ms), cost.
// Returns {0, 0, 0} when every rule had room (all counted), else {i, retry after ms (-1: never),
// used} for the first rule without room (nothing counted).
const TAKE = `
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local marker = KEYS[n + 1]
if marker and redis.call('EXISTS', marker) == 1 then return {0, 0, 0} end
local level = {}
for i = 1, n do
  local o = 4 + (i - 1) * 4
  local kind, cap, p, cost = ARGV[o], tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3])
  if kind == 'b' then
    local s = redis.call('HMGET', KEYS[i], 'tokens', 'at')
    local tokens = tonumber(s[1]) or cap
    local at = tonumber(s[2]) or now
    if now > at then tokens = math.min(cap, tokens + (now - at) / p) end
    if tokens < cost then
      local wait = -1
      if cost <= cap then wait = math.ceil((cost - tokens) * p) end
      return {i, wait, math.floor(cap - tokens)}
    end
    level[i] = {tokens - cost, math.max(now, at)}
  else
    local used = tonumber(redis.call('GET', KEYS[i]) or '0')
    if used + cost > cap then return {i, math.max(0, p - now), used} end
    level[i] = used + cost
  end
end
for i = 1, n do
  local o = 4 + (i - 1) * 4
  if ARGV[o] == 'b' then
    redis.call('HSET', KEYS[i], 'tokens', tostring(level[i][1]), 'at', tostring(level[i][2]))
    redis.call('PEXPIRE', KEYS[i], math.ceil(tonumber(ARGV[o + 1]) * tonumber(ARGV[o + 2])) + 1000)
  else
    redis.call('SET', KEYS[i], level[i])
    redis.call('PEXPIREAT', KEYS[i], ARGV[o + 2])
  end
end
if marker then redis.call('SET', marker, '1', 'EX', ARGV[3]) end
return {0, 0, 0}
`;
const TAKE_SHA = createHash("sha1").update(TAKE).digest("hex");

/** How long a use stays "counted" for a resend with the same id. */
const ONCE_TTL_SECONDS = 86_400;

interface Pending {
  readonly args: (string | number)[];
  readonly keys: number;
  readonly resolve: (v: LimitVerdict) => void;
  readonly reject: (e: Error) => void;
}

export class RedisRateLimiter implements RateLimiter {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  take(rules: readonly LimitRule[], now: number, once?: string): Promise<LimitVerdict> {
    const keys = rules.map((r) => storeKey(this.prefix, "limit", r.id));
    if (once !== undefined) keys.push(storeKey(this.prefix, "limit", "once", once));
    const args: (string | number)[] = [...keys, Math.floor(now), rules.length, ONCE_TTL_SECONDS];
    for (const r of rules) {
      if (r.kind === "bucket") args.push("b", r.capacity, r.msPerToken, r.cost);
      else args.push("w", r.limit, r.endsAt, r.cost);
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ args, keys: keys.length, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    try {
      const replies = await this.run(batch, "evalsha");
      // After a Redis restart (or on first use) the script is not cached: EVAL loads it.
      const missing = batch.filter((_, i) => replies[i]?.[0]?.message.startsWith("NOSCRIPT"));
      const retried = missing.length > 0 ? await this.run(missing, "eval") : [];
      batch.forEach((p, i) => {
        const retry = missing.indexOf(p);
        const [err, reply] = (retry >= 0 ? retried[retry] : replies[i]) ?? [
          new Error("no answer from Redis"),
        ];
        try {
          if (err) throw err;
          p.resolve(verdictOf(reply));
        } catch (e) {
          p.reject(e as Error);
        }
      });
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }

  private async run(batch: readonly Pending[], how: "evalsha" | "eval") {
    const pipeline = this.redis.pipeline();
    for (const p of batch) {
      if (how === "evalsha") pipeline.evalsha(TAKE_SHA, p.keys, ...p.args);
      else pipeline.eval(TAKE, p.keys, ...p.args);
    }
    return ((await pipeline.exec()) ?? []) as (readonly [Error | null, unknown?])[];
  }
}

function verdictOf(reply: unknown): LimitVerdict {
  if (!Array.isArray(reply) || reply.length !== 3 || !reply.every((x) => typeof x === "number")) {
    throw new Error(`unexpected rate limit reply ${JSON.stringify(reply)}`);
  }
  const [rule, retryAfterMs, used] = reply as [number, number, number];
  return rule === 0 ? { ok: true } : { ok: false, rule: rule - 1, retryAfterMs, used };
}
