/**
 * The RateLimiter in Redis: one Lua script checks and counts every rule of a use atomically, so
 * every process on the Redis shares the counts. The checks asked for in one turn of the event
 * loop go to Redis as one script call (turn-script.ts), each check's rules packed into one
 * argument: a call per check with four arguments per rule cost the gateway about 3 KB of
 * command encoding per message, the largest allocation left in the distinct-numbers bench.
 *
 * Keys (all under the {prefix} hash tag, each with a TTL, so they are bounded):
 * - `limit:<rule id>`: a bucket is a hash {tokens, at} that expires when it would be full again;
 *   a window is a counter that expires when its window ends.
 * - `limit:once:<id>`: "this use was counted", for a day: a resent stanza is not counted twice.
 */
import type { Redis } from "ioredis";
import type { LimitRule, LimitVerdict, RateLimiter } from "../core/rate-limits.js";
import { storeKey } from "./keys.js";
import { TurnScript } from "./turn-script.js";

// The body of one check (turn-script.ts runs a turn's checks in one call). KEYS: one per rule,
// then the "counted once" marker if it has one. Fields (f[1] ...): now (ms), rule count n, 1 when
// it has a marker, marker TTL (s), then per rule its kind (b|w), capacity or limit, ms per token
// or window end (epoch ms), and cost. Returns 0, 0, 0 when every rule had room (all counted),
// else i, retry after ms (-1: never), used for the first rule without room (nothing counted).
const TAKE = `
local now, n = tonumber(f[1]), tonumber(f[2])
local marker = nil
if f[3] == '1' then marker = KEYS[base + n + 1] end
if marker and redis.call('EXISTS', marker) == 1 then return 0, 0, 0 end
local level = {}
for i = 1, n do
  local o = 5 + (i - 1) * 4
  local key, kind, cap, p, cost = KEYS[base + i], f[o], tonumber(f[o + 1]), tonumber(f[o + 2]), tonumber(f[o + 3])
  if kind == 'b' then
    local s = redis.call('HMGET', key, 'tokens', 'at')
    local tokens = tonumber(s[1]) or cap
    local at = tonumber(s[2]) or now
    if now > at then tokens = math.min(cap, tokens + (now - at) / p) end
    if tokens < cost then
      local wait = -1
      if cost <= cap then wait = math.ceil((cost - tokens) * p) end
      return i, wait, math.floor(cap - tokens)
    end
    level[i] = {tokens - cost, math.max(now, at)}
  else
    local used = tonumber(redis.call('GET', key) or '0')
    if used + cost > cap then return i, math.max(0, p - now), used end
    level[i] = used + cost
  end
end
for i = 1, n do
  local o = 5 + (i - 1) * 4
  local key = KEYS[base + i]
  if f[o] == 'b' then
    redis.call('HSET', key, 'tokens', tostring(level[i][1]), 'at', tostring(level[i][2]))
    redis.call('PEXPIRE', key, math.ceil(tonumber(f[o + 1]) * tonumber(f[o + 2])) + 1000)
  else
    -- One command for the count and its end (PXAT, Redis 6.2, as GETDEL elsewhere).
    redis.call('SET', key, level[i], 'PXAT', f[o + 2])
  end
end
if marker then redis.call('SET', marker, '1', 'EX', f[4]) end
return 0, 0, 0
`;

/** How long a use stays "counted" for a resend with the same id. */
const ONCE_TTL_SECONDS = 86_400;

export class RedisRateLimiter implements RateLimiter {
  private readonly script: TurnScript;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    this.script = new TurnScript(redis, "rate limit check", TAKE, 3);
  }

  async take(rules: readonly LimitRule[], now: number, once?: string): Promise<LimitVerdict> {
    const keys = rules.map((r) => storeKey(this.prefix, "limit", r.id));
    if (once !== undefined) keys.push(storeKey(this.prefix, "limit", "once", once));
    const marked = once === undefined ? 0 : 1;
    const fields: (string | number)[] = [Math.floor(now), rules.length, marked, ONCE_TTL_SECONDS];
    for (const r of rules) {
      if (r.kind === "bucket") fields.push("b", r.capacity, r.msPerToken, r.cost);
      else fields.push("w", r.limit, r.endsAt, r.cost);
    }
    return verdictOf(await this.script.run(keys, fields));
  }
}

function verdictOf(reply: readonly unknown[]): LimitVerdict {
  if (!reply.every((x) => typeof x === "number")) {
    throw new Error(`unexpected rate limit reply ${JSON.stringify(reply)}`);
  }
  const [rule, retryAfterMs, used] = reply as [number, number, number];
  return rule === 0 ? { ok: true } : { ok: false, rule: rule - 1, retryAfterMs, used };
}
