/**
 * Reply threading state (core/threads.ts) in Redis: per gateway user address, one hash
 * `{prefix}:threads:<gateway>:<own address>` (field: the contact's address, value: the last
 * message's ref as JSON, checked with zod on read and write) and one sorted set
 * `{prefix}:threads-at:<gateway>:<own address>` (member: the contact, score: when last written).
 *
 * Bounded per user: a Lua script writes both, drops the conversations written longest ago past
 * `maxConversations` and sets both keys' life to `ttlSeconds`, so a user nobody writes with is
 * forgotten and no user's state grows without end. Threading is a nicety: a conversation
 * forgotten this way just starts a new thread.
 */
import type { Redis } from "ioredis";
import { type ThreadLog, type ThreadRef, threadRefSchema } from "../core/threads.js";
import { storeKey } from "./keys.js";

export interface ThreadLimits {
  readonly ttlSeconds: number;
  readonly maxConversations: number;
}

export const THREAD_LIMITS: ThreadLimits = { ttlSeconds: 90 * 24 * 3600, maxConversations: 1_000 };

// KEYS: the hash, the sorted set. ARGV: contact, ref JSON, now (ms), cap, ttl seconds.
// Returns how many conversations were dropped for the cap.
const REMEMBER = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
local dropped = 0
if over > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #oldest, 2 do
    redis.call('HDEL', KEYS[1], oldest[i])
    dropped = dropped + 1
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return dropped
`;

export class RedisThreadStore implements ThreadLog {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: ThreadLimits = THREAD_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  private keys(gatewayId: string, own: string): [string, string] {
    return [
      storeKey(this.prefix, "threads", gatewayId, own),
      storeKey(this.prefix, "threads-at", gatewayId, own),
    ];
  }

  /** The stored ref, or undefined when there is none or it is unreadable (a new thread then). */
  async last(gatewayId: string, own: string, peer: string): Promise<ThreadRef | undefined> {
    const [hash] = this.keys(gatewayId, own);
    const raw = await this.redis.hget(hash, peer);
    if (raw === null) return undefined;
    try {
      const parsed = threadRefSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Throws (zod) on a ref the store would not read back, before anything is written. */
  async remember(gatewayId: string, own: string, peer: string, ref: ThreadRef): Promise<void> {
    const value = JSON.stringify(threadRefSchema.parse(ref));
    const [hash, times] = this.keys(gatewayId, own);
    const { maxConversations, ttlSeconds } = this.limits;
    await this.redis.eval(REMEMBER, 2, hash, times, peer, value, this.now(), maxConversations, ttlSeconds);
  }
}
