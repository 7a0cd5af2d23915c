/**
 * The SendPacer in Redis: one Lua script books send slots of a number atomically (GCRA, the
 * token bucket as a "theoretical arrival time"), so every worker process shares one pace per
 * number. A send that finds no room is booked the next free slot and told how long to wait; the
 * job waits in BullMQ's delayed set (not holding a worker) and, woken, finds its slot booked: the
 * burst from one number leaves at the number's pace instead of bouncing off the provider's 429s.
 *
 * A booked slot is a time to ask again, not a licence: a send goes only when the sends this number
 * has actually made leave room (a second GCRA over the moments of sending). On time, the two agree
 * and nothing waits longer. A job woken late (a loaded machine, a batch that took long to hand it
 * on) would otherwise go together with the sends booked after it, and the provider would see more
 * than the pace in that second; instead it is booked the moment the sends made leave room.
 *
 * Keys (under the {prefix} hash tag, each with a TTL):
 * - `pace:<gateway>:<number>`: the number's theoretical arrival time (ms) of booked slots, gone
 *   when the bucket is full.
 * - `pace:sent:<gateway>:<number>`: the same over the sends made.
 * - `pace:slot:<gateway>:<slot>`: the time booked for one send, until it is taken (or a day later).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { Pace, SendPacer } from "../core/ports.js";
import { storeKey } from "./keys.js";

// KEYS: the number's TAT of bookings, the slot's booking, the number's TAT of sends made. ARGV:
// now (ms), ms per send (fractional above 1,000/s), burst. Times are kept to a thousandth of a ms
// (Lua's tostring would keep 14 digits, an epoch in ms takes 13). Returns 0 (go now) or the whole
// ms until the booked time, rounded up.
const TAKE = `
local now = tonumber(ARGV[1])
local t = tonumber(ARGV[2])
local slack = (tonumber(ARGV[3]) - 1) * t
local function book(at)
  redis.call('SET', KEYS[2], string.format('%.3f', at), 'PX', math.ceil(at - now) + 86400000)
  return math.ceil(at - now)
end
local booked = tonumber(redis.call('GET', KEYS[2]))
if booked and booked > now then return math.ceil(booked - now) end
if not booked then
  local tat = tonumber(redis.call('GET', KEYS[1])) or now
  if tat < now then tat = now end
  redis.call('SET', KEYS[1], string.format('%.3f', tat + t), 'PX', math.ceil(tat + t - now) + 1000)
  if tat - slack > now then return book(tat - slack) end
end
local sent = tonumber(redis.call('GET', KEYS[3])) or now
if sent < now then sent = now end
if sent - slack > now then return book(sent - slack) end
if booked then redis.call('DEL', KEYS[2]) end
redis.call('SET', KEYS[3], string.format('%.3f', sent + t), 'PX', math.ceil(sent + t - now) + 1000)
return 0
`;
const TAKE_SHA = createHash("sha1").update(TAKE).digest("hex");

export class RedisSendPacer implements SendPacer {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async take(gatewayId: string, number: string, pace: Pace, slot: string, now: number): Promise<number> {
    const keys = [
      storeKey(this.prefix, "pace", gatewayId, number),
      storeKey(this.prefix, "pace", "slot", gatewayId, slot),
      storeKey(this.prefix, "pace", "sent", gatewayId, number),
    ];
    const args = [Math.floor(now), msPerSend(pace), Math.max(1, Math.floor(pace.burst))];
    let reply: unknown;
    try {
      reply = await this.redis.evalsha(TAKE_SHA, 3, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      reply = await this.redis.eval(TAKE, 3, ...keys, ...args);
    }
    if (typeof reply !== "number") throw new Error(`unexpected pacing reply ${JSON.stringify(reply)}`);
    return reply;
  }
}

/**
 * Milliseconds between two sends of one number, fractional: rounded up to whole ms it would cap
 * every pace at 1,000/s (10,000/s became 1,000/s) and slow 600/s to 500/s.
 */
export function msPerSend(pace: Pace): number {
  return 1000 / pace.perSecond;
}
