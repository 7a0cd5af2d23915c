/**
 * Opt-outs per pair of numbers: recipient R replied STOP to our number N (or the provider said so,
 * Twilio 21610), so nothing is sent from N to R until R opts back in (START).
 *
 * Shape: one string key per pair, `{prefix}:optout:<gateway>:<our number>:<their number>`, holding
 * the latest event `{"state":"stop"|"start","at":<ms>,"source":...}` (checked with zod). START is
 * kept as a record too, not deleted, so an older STOP arriving late (or replayed) cannot undo it,
 * and the other way round: a Lua script applies an event only if it is newer than the stored one
 * (a tie goes to STOP). Each event sets the key's life to `ttlSeconds` (configured long, in
 * years): a pair nobody writes to again is forgotten after that; the provider keeps its own
 * opt-out list too (Twilio answers 21610, which records the STOP again).
 *
 * Older versions kept one hash per our number (field = their number, value {at, source}, no
 * life); `migrateLegacy` (run at start-up) moves those into this shape once, then notes it in
 * `{prefix}:optout-layout`.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import type { OptOuts } from "../core/ports.js";
import { hashTagPrefix, storeKey } from "./keys.js";

const sourceSchema = z.enum(["inbound", "provider-error"]);

const recordSchema = z
  .object({
    state: z.enum(["stop", "start"]),
    at: z.number().int(),
    /** How it was learnt: an inbound keyword / provider flag, or a provider refusal. */
    source: sourceSchema,
  })
  .strict();

const legacySchema = z.object({ at: z.number().int(), source: sourceSchema }).strict();

/** A pair that is opted out: since when, and how it was learnt. */
export interface OptOut {
  readonly at: number;
  readonly source: z.infer<typeof sourceSchema>;
}

// KEYS: the pair's key. ARGV: record JSON, its time (ms), its state, ttl seconds.
// Returns 1 when written, 0 when the stored event is newer (or as new and a STOP).
const APPLY = `
local old = redis.call('GET', KEYS[1])
if old then
  local ok, rec = pcall(cjson.decode, old)
  if ok and type(rec) == 'table' and type(rec.at) == 'number' then
    local at = tonumber(ARGV[2])
    if rec.at > at or (rec.at == at and rec.state == 'stop' and ARGV[3] ~= 'stop') then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
return 1
`;

export class OptOutStore implements OptOuts {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  /** Records `state` as of `at` (ms) unless a newer event is stored; "stale" when not written. */
  async apply(
    gatewayId: string,
    ourNumber: string,
    theirNumber: string,
    state: "stop" | "start",
    at: number,
    source: OptOut["source"],
  ): Promise<"applied" | "stale"> {
    const value = JSON.stringify(recordSchema.parse({ state, at: Math.floor(at), source }));
    const key = this.key(gatewayId, ourNumber, theirNumber);
    const written = await this.redis.eval(APPLY, 1, key, value, Math.floor(at), state, this.ttlSeconds);
    return written === 1 ? "applied" : "stale";
  }

  /** A STOP learnt now (e.g. the provider refused a send to an opted-out recipient). */
  async record(
    gatewayId: string,
    ourNumber: string,
    theirNumber: string,
    source: OptOut["source"],
  ): Promise<void> {
    await this.apply(gatewayId, ourNumber, theirNumber, "stop", Date.now(), source);
  }

  /** The opt-out of the pair, or undefined when they may be sent to. */
  async get(gatewayId: string, ourNumber: string, theirNumber: string): Promise<OptOut | undefined> {
    return readOptOut(await this.redis.get(this.key(gatewayId, ourNumber, theirNumber)));
  }

  /** The pair's key, for a script that reads it along with other keys (sent-parts.ts). */
  pairKey(gatewayId: string, ourNumber: string, theirNumber: string): string {
    return this.key(gatewayId, ourNumber, theirNumber);
  }

  /** What the value of `pairKey` (as GET replies it, null when absent) means, as `get` reads it. */
  readReply(raw: unknown): OptOut | undefined {
    return readOptOut(raw);
  }

  /**
   * Moves opt-outs of the old layout (a hash per our number) into per-pair keys, keeping their
   * times (an event already stored per pair wins if newer), and deletes the hashes. Idempotent;
   * returns how many were moved.
   */
  async migrateLegacy(): Promise<number> {
    // Done once per installation (a full SCAN is not free on a Redis holding millions of keys).
    const done = storeKey(this.prefix, "optout-layout");
    if ((await this.redis.get(done)) === "per-pair") return 0;
    let moved = 0;
    let cursor = "0";
    const head = `${hashTagPrefix(this.prefix)}:optout:`;
    do {
      const [next, keys] = await this.redis.scan(
        cursor,
        "MATCH",
        `${head}*`,
        "COUNT",
        10_000,
        "TYPE",
        "hash",
      );
      cursor = next;
      for (const key of keys) {
        const [gatewayId, ourNumber] = key.slice(head.length).split(":");
        if (gatewayId === undefined || ourNumber === undefined) continue;
        for (const [theirNumber, raw] of Object.entries(await this.redis.hgetall(key))) {
          const legacy = parseLegacy(raw);
          await this.apply(gatewayId, ourNumber, theirNumber, "stop", legacy.at, legacy.source);
          moved++;
        }
        await this.redis.del(key);
      }
    } while (cursor !== "0");
    await this.redis.set(done, "per-pair");
    return moved;
  }

  private key(gatewayId: string, ourNumber: string, theirNumber: string): string {
    return storeKey(this.prefix, "optout", gatewayId, ourNumber, theirNumber);
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function readOptOut(raw: unknown): OptOut | undefined {
  if (raw === null || raw === undefined) return undefined;
  const parsed = recordSchema.safeParse(parseJson(String(raw)));
  // An unreadable record still means "opted out": never send to someone who may have said STOP.
  if (!parsed.success) return { at: 0, source: "inbound" };
  return parsed.data.state === "stop" ? { at: parsed.data.at, source: parsed.data.source } : undefined;
}

function parseLegacy(raw: string): OptOut {
  const parsed = legacySchema.safeParse(parseJson(raw));
  // Unreadable: still a STOP, as the old reader took it; dated now, so nothing older undoes it.
  return parsed.success ? parsed.data : { at: Date.now(), source: "inbound" };
}
