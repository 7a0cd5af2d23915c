/**
 * One Lua script call for all the uses of a script asked for in one turn of the event loop: the
 * per-user limiter checks every message, the pacer books a slot for every send and the part
 * ledger opens and records every part, and a call (or command) per use cost the gateway an
 * ioredis command (its object, its encoded arguments, its reply) and Redis a command dispatch
 * per message. Batched, a turn's uses are one EVALSHA (up to MAX_PER_CALL uses each), and each
 * use still gets its own answer and its own error.
 *
 * The script is written as the body of a Lua function `entry(base, f, raw)`: `base` is the number
 * of KEYS the earlier uses took (its keys are KEYS[base + 1] ...), `f` the fields it was given
 * (numbers and words without commas, packed into one argument and split again in Lua: an
 * argument each cost more to encode than the work they carry), `raw` the values given as
 * arguments of their own (any text, such as JSON). It returns `width` values. A Redis error in
 * one use (a key of the wrong type) fails that use only: the runner returns -1 and the error's
 * text in its place, as separate calls would have.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/** Uses per script call: a call holds Redis for its whole run (a few µs per use). */
const MAX_PER_CALL = 256;

interface Pending {
  readonly keys: readonly string[];
  /** The packed fields, then the raw values: the use's ARGV. */
  readonly args: readonly string[];
  readonly resolve: (v: readonly unknown[]) => void;
  readonly reject: (e: Error) => void;
}

type Reply = readonly [Error | null, unknown?];

function runnerOf(body: string, width: number): string {
  return `
local function entry(base, f, raw)
${body}
end
local out = {}
local base = 0
local c = 1
while c <= #ARGV do
  local f = {}
  for field in string.gmatch(ARGV[c], '[^,]+') do f[#f + 1] = field end
  local nkeys, nraw = tonumber(table.remove(f, 1)), tonumber(table.remove(f, 1))
  local raw = {}
  for i = 1, nraw do raw[i] = ARGV[c + i] end
  local r = {pcall(entry, base, f, raw)}
  if r[1] then
    for i = 2, ${width + 1} do out[#out + 1] = r[i] end
  else
    local e = r[2]
    if type(e) == 'table' and e.err then e = e.err end
    out[#out + 1] = -1
    out[#out + 1] = tostring(e)
    for i = 3, ${width} do out[#out + 1] = 0 end
  end
  base = base + nkeys
  c = c + 1 + nraw
end
return out
`;
}

export class TurnScript {
  private readonly lua: string;
  private readonly sha: string;
  private pending: Pending[] = [];
  private scheduled = false;

  /** `name` says whose script failed in errors; `width` (at least 2) values per use. */
  constructor(
    private readonly redis: Redis,
    private readonly name: string,
    body: string,
    private readonly width: number,
  ) {
    this.lua = runnerOf(body, width);
    this.sha = createHash("sha1").update(this.lua).digest("hex");
  }

  /**
   * Queues one use on this turn's call; resolves with its `width` values. A field must be
   * neither empty nor contain a comma (they are packed into one argument); `raw` may hold any
   * text.
   */
  run(
    keys: readonly string[],
    fields: readonly (string | number)[],
    raw: readonly string[] = [],
  ): Promise<readonly unknown[]> {
    const args = [[keys.length, raw.length, ...fields].join(","), ...raw];
    return new Promise((resolve, reject) => {
      this.pending.push({ keys, args, resolve, reject });
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
      const replies = await this.send(calls, "evalsha");
      // After a Redis restart (or on first use) the script is not cached: EVAL loads it.
      const missing = calls.filter((_, i) => replies[i]?.[0]?.message.startsWith("NOSCRIPT"));
      const retried = missing.length > 0 ? await this.send(missing, "eval") : [];
      calls.forEach((call, i) => {
        const retry = missing.indexOf(call);
        this.settle(call, (retry >= 0 ? retried[retry] : replies[i]) ?? [new Error("no answer from Redis")]);
      });
    } catch (err) {
      for (const call of calls) for (const p of call) p.reject(err as Error);
    }
  }

  private async send(calls: readonly (readonly Pending[])[], how: "evalsha" | "eval"): Promise<Reply[]> {
    const pipeline = this.redis.pipeline();
    for (const call of calls) {
      // The keys of every use, then the arguments of every use, in one array built once.
      const args: string[] = [];
      for (const p of call) for (const k of p.keys) args.push(k);
      const nkeys = args.length;
      for (const p of call) for (const a of p.args) args.push(a);
      if (how === "evalsha") pipeline.evalsha(this.sha, nkeys, ...args);
      else pipeline.eval(this.lua, nkeys, ...args);
    }
    return ((await pipeline.exec()) ?? []) as Reply[];
  }

  /** Hands each use of one call its values, its own error, or the call's error. */
  private settle(call: readonly Pending[], [err, reply]: Reply): void {
    const w = this.width;
    if (err || !Array.isArray(reply) || reply.length !== call.length * w) {
      const e = err ?? new Error(`unexpected ${this.name} reply ${JSON.stringify(reply)}`);
      for (const p of call) p.reject(e);
      return;
    }
    call.forEach((p, i) => {
      const values: unknown[] = reply.slice(i * w, i * w + w);
      if (values[0] === -1) p.reject(new Error(`${this.name} failed in Redis: ${String(values[1])}`));
      else p.resolve(values);
    });
  }
}
