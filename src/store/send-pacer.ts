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
 * The bookings asked for in one turn of the event loop are one script call (turn-script.ts), run
 * in the order they were asked. The first part of a send books its slot inside the part ledger's
 * open (sent-parts.ts), in the round trip that claims the part.
 *
 * Keys (under the {prefix} hash tag, each with a TTL):
 * - `pace:<gateway>:<number>`: the number's theoretical arrival time (ms) of booked slots, gone
 *   when the bucket is full.
 * - `pace:sent:<gateway>:<number>`: the same over the sends made.
 * - `pace:slot:<gateway>:<slot>`: the time booked for one send, until it is taken (or a day later).
 */
import type { Redis } from "ioredis";
import type { Pace, SendPacer } from "../core/ports.js";
import { storeKey } from "./keys.js";
import { TurnScript } from "./turn-script.js";

// One booking, as a Lua function (the part ledger's open script books part 0's slot with it too,
// sent-parts.ts). Its keys: the number's TAT of bookings, the slot's booking, the number's TAT of
// sends made; now (ms), ms per send (fractional above 1,000/s), burst. Times are kept to a
// thousandth of a ms (Lua's tostring would keep 14 digits, an epoch in ms takes 13). Returns 0
// (go now) or the whole ms until the booked time, rounded up.
export const PACE_TAKE_LUA = `
local function pace_take(tatKey, slotKey, sentKey, now, t, burst)
  local slack = (burst - 1) * t
  local function book(at)
    redis.call('SET', slotKey, string.format('%.3f', at), 'PX', math.ceil(at - now) + 86400000)
    return math.ceil(at - now)
  end
  local booked = tonumber(redis.call('GET', slotKey))
  if booked and booked > now then return math.ceil(booked - now) end
  if not booked then
    local tat = tonumber(redis.call('GET', tatKey)) or now
    if tat < now then tat = now end
    redis.call('SET', tatKey, string.format('%.3f', tat + t), 'PX', math.ceil(tat + t - now) + 1000)
    if tat - slack > now then return book(tat - slack) end
  end
  local sent = tonumber(redis.call('GET', sentKey)) or now
  if sent < now then sent = now end
  if sent - slack > now then return book(sent - slack) end
  if booked then redis.call('DEL', slotKey) end
  redis.call('SET', sentKey, string.format('%.3f', sent + t), 'PX', math.ceil(sent + t - now) + 1000)
  return 0
end
`;

// The body of one booking of take() (turn-script.ts runs a turn's bookings in one call): KEYS and
// fields as pace_take takes them, and a 0 the runner's width asks for.
const TAKE = `${PACE_TAKE_LUA}
return pace_take(KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], tonumber(f[1]), tonumber(f[2]), tonumber(f[3])), 0
`;

/** The keys and fields of one booking, as PACE_TAKE_LUA's pace_take takes them. */
export interface PaceBooking {
  readonly keys: readonly [string, string, string];
  readonly fields: readonly [number, number, number];
}

export class RedisSendPacer implements SendPacer {
  private readonly script: TurnScript;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    this.script = new TurnScript(redis, "pacing", TAKE, 2);
  }

  async take(gatewayId: string, number: string, pace: Pace, slot: string, now: number): Promise<number> {
    const { keys, fields } = this.booking(gatewayId, number, pace, slot, now);
    const [wait] = await this.script.run(keys, fields);
    if (typeof wait !== "number") throw new Error(`unexpected pacing reply ${JSON.stringify(wait)}`);
    return wait;
  }

  /** What booking `slot` of `number` at `now` passes to pace_take. */
  booking(gatewayId: string, number: string, pace: Pace, slot: string, now: number): PaceBooking {
    return {
      keys: [
        storeKey(this.prefix, "pace", gatewayId, number),
        storeKey(this.prefix, "pace", "slot", gatewayId, slot),
        storeKey(this.prefix, "pace", "sent", gatewayId, number),
      ],
      fields: [Math.floor(now), msPerSend(pace), Math.max(1, Math.floor(pace.burst))],
    };
  }
}

/**
 * Milliseconds between two sends of one number, fractional: rounded up to whole ms it would cap
 * every pace at 1,000/s (10,000/s became 1,000/s) and slow 600/s to 500/s.
 */
export function msPerSend(pace: Pace): number {
  return 1000 / pace.perSecond;
}
