/**
 * The RateLimiter in Redis: one Lua script checks and counts every rule of a use atomically, so
 * every process on the Redis shares the counts. The checks asked for in one turn of the event
 * loop go to Redis as one script call (up to MAX_PER_CALL checks each), each check's rules packed
 * into one argument: a call per check with four arguments per rule cost the gateway about 3 KB of
 * command encoding per message, the largest allocation left in the distinct-numbers bench.
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

// KEYS: per check, one per rule, then its "counted once" marker if it has one.
// ARGV: marker TTL (s), then one argument per check: "now,n,m,kind,cap,p,cost,..." with the
// check's time (ms), n rules, m = 1 when it has a marker, and per rule its kind (b|w), capacity
// or limit, ms per token or window end (epoch ms), and cost.
// Returns three values per check: {0, 0, 0} when every rule had room (all counted), else {i,
// retry after ms (-1: never), used} for the first rule without room (nothing counted), or {-1,
// error, 0} when Redis refused a command of that check (the others still run, as they would in
// separate calls).
const TAKE = `
local function take(base, f)
  local now, n = tonumber(f[1]), tonumber(f[2])
  local marker = nil
  if f[3] == '1' then marker = KEYS[base + n + 1] end
  if marker and redis.call('EXISTS', marker) == 1 then return 0, 0, 0 end
  local level = {}
  for i = 1, n do
    local o = 4 + (i - 1) * 4
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
    local o = 4 + (i - 1) * 4
    local key = KEYS[base + i]
    if f[o] == 'b' then
      redis.call('HSET', key, 'tokens', tostring(level[i][1]), 'at', tostring(level[i][2]))
      redis.call('PEXPIRE', key, math.ceil(tonumber(f[o + 1]) * tonumber(f[o + 2])) + 1000)
    else
      redis.call('SET', key, level[i])
      redis.call('PEXPIREAT', key, f[o + 2])
    end
  end
  if marker then redis.call('SET', marker, '1', 'EX', ARGV[1]) end
  return 0, 0, 0
end
local out = {}
local base = 0
for c = 2, #ARGV do
  local f = {}
  for field in string.gmatch(ARGV[c], '[^,]+') do f[#f + 1] = field end
  local ok, a, b, d = pcall(take, base, f)
  if ok then
    out[#out + 1] = a; out[#out + 1] = b; out[#out + 1] = d
  else
    if type(a) == 'table' and a.err then a = a.err end
    out[#out + 1] = -1; out[#out + 1] = tostring(a); out[#out + 1] = 0
  end
  base = base + tonumber(f[2]) + tonumber(f[3])
end
return out
`;
const TAKE_SHA = createHash("sha1").update(TAKE).digest("hex");

/** How long a use stays "counted" for a resend with the same id. */
const ONCE_TTL_SECONDS = 86_400;

/** Checks per script call: a call holds Redis for its whole run (about 1 µs per rule). */
const MAX_PER_CALL = 256;

interface Pending {
  readonly keys: readonly string[];
  /** The check's rules, packed as the script reads them. */
  readonly spec: string;
  readonly resolve: (v: LimitVerdict) => void;
  readonly reject: (e: Error) => void;
}

type Reply = readonly [Error | null, unknown?];

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
    let spec = `${Math.floor(now)},${rules.length},${once === undefined ? 0 : 1}`;
    for (const r of rules) {
      spec +=
        r.kind === "bucket"
          ? `,b,${r.capacity},${r.msPerToken},${r.cost}`
          : `,w,${r.limit},${r.endsAt},${r.cost}`;
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ keys, spec, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const calls: Pending[][] = [];
    for (let i = 0; i < this.pending.length; i += MAX_PER_CALL) {
      calls.push(this.pending.slice(i, i + MAX_PER_CALL));
    }
    this.pending = [];
    try {
      const replies = await this.run(calls, "evalsha");
      // After a Redis restart (or on first use) the script is not cached: EVAL loads it.
      const missing = calls.filter((_, i) => replies[i]?.[0]?.message.startsWith("NOSCRIPT"));
      const retried = missing.length > 0 ? await this.run(missing, "eval") : [];
      calls.forEach((call, i) => {
        const retry = missing.indexOf(call);
        settle(call, (retry >= 0 ? retried[retry] : replies[i]) ?? [new Error("no answer from Redis")]);
      });
    } catch (err) {
      for (const call of calls) for (const p of call) p.reject(err as Error);
    }
  }

  private async run(calls: readonly (readonly Pending[])[], how: "evalsha" | "eval") {
    const pipeline = this.redis.pipeline();
    for (const call of calls) {
      const keys = call.flatMap((p) => p.keys);
      const args = [...keys, ONCE_TTL_SECONDS, ...call.map((p) => p.spec)];
      if (how === "evalsha") pipeline.evalsha(TAKE_SHA, keys.length, ...args);
      else pipeline.eval(TAKE, keys.length, ...args);
    }
    return ((await pipeline.exec()) ?? []) as Reply[];
  }
}

/** Hands each check of one script call its verdict (or the call's error). */
function settle(call: readonly Pending[], [err, reply]: Reply): void {
  if (err || !Array.isArray(reply) || reply.length !== call.length * 3) {
    const e = err ?? new Error(`unexpected rate limit reply ${JSON.stringify(reply)}`);
    for (const p of call) p.reject(e);
    return;
  }
  call.forEach((p, i) => {
    try {
      p.resolve(verdictOf(reply.slice(i * 3, i * 3 + 3)));
    } catch (e) {
      p.reject(e as Error);
    }
  });
}

function verdictOf(reply: readonly unknown[]): LimitVerdict {
  if (reply[0] === -1) throw new Error(`rate limit check failed in Redis: ${String(reply[1])}`);
  if (!reply.every((x) => typeof x === "number")) {
    throw new Error(`unexpected rate limit reply ${JSON.stringify(reply)}`);
  }
  const [rule, retryAfterMs, used] = reply as [number, number, number];
  return rule === 0 ? { ok: true } : { ok: false, rule: rule - 1, retryAfterMs, used };
}
