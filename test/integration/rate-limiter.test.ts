/**
 * The per-user limiter's Lua script on a real Redis (its own server: one test flushes the script
 * cache): burst and refill of the per-minute bucket, the daily window, overrides, all-or-nothing
 * counting, resends counted once, bounded keys, one script call per event-loop turn (each check
 * with its own time and its own errors), and a Redis that lost its script cache.
 */
import type { Redis } from "ioredis";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type LimitRule,
  limitsOf,
  sendRefusal,
  sendRules,
  type UserLimits,
} from "../../src/core/rate-limits.js";
import { RedisRateLimiter } from "../../src/store/rate-limiter.js";
import { uniquePrefix, useOwnRedis } from "../harness/redis.js";
import { waitFor } from "../harness/wait.js";

const LIMITS: UserLimits = {
  messagesPerMinute: 60,
  messagesBurst: 3,
  messagesPerDay: 5,
  segmentsPerMinute: 600,
  segmentsBurst: 100,
  segmentsPerDay: 1000,
};
/** 2030-01-01T12:00:00Z: noon, so "today" has room on both sides. */
const NOON = Date.UTC(2030, 0, 1, 12);

describe("Redis rate limiter", () => {
  const own = useOwnRedis();
  let redis: Redis;
  beforeAll(() => {
    redis = own.redis;
  });

  const fresh = () => {
    const prefix = uniquePrefix("limits");
    return { prefix, limiter: new RedisRateLimiter(redis, prefix) };
  };
  const send = (l: RedisRateLimiter, jid: string, at: number, segments = 1, limits = LIMITS, once?: string) =>
    l.take(sendRules("sms", jid, limits, segments, at), at, once);

  it("lets a burst through, then refills at the per-minute rate", async () => {
    const { limiter } = fresh();
    const burst = await Promise.all([0, 1, 2].map(() => send(limiter, "a@x", NOON)));
    expect(burst.every((v) => v.ok)).toBe(true);
    const fourth = await send(limiter, "a@x", NOON);
    // 60 a minute: one token a second; the bucket is empty, so the next one in 1 s.
    expect(fourth).toEqual({ ok: false, rule: 0, retryAfterMs: 1000, used: 3 });
    const refusal = sendRefusal(LIMITS, 1, fourth as Extract<typeof fourth, { ok: false }>);
    expect(refusal.condition).toBe("resource-constraint");
    expect(refusal.message).toBe(
      "You are sending too fast: at most 60 messages a minute, 3 at once. Try again in 1 second.",
    );
    expect((await send(limiter, "a@x", NOON + 500)).ok).toBe(false);
    expect((await send(limiter, "a@x", NOON + 1000)).ok).toBe(true);
    expect((await send(limiter, "a@x", NOON + 1000)).ok).toBe(false);
    // An hour of silence refills the bucket to the burst, not to 3,600.
    const roomy = { ...LIMITS, messagesPerDay: 100 };
    await Promise.all([0, 1, 2].map(() => send(limiter, "b@x", NOON, 1, roomy)));
    const later = NOON + 3_600_000;
    const hour = await Promise.all([0, 1, 2, 3].map(() => send(limiter, "b@x", later, 1, roomy)));
    expect(hour.map((v) => v.ok)).toEqual([true, true, true, false]);
    expect(hour[3]).toMatchObject({ rule: 0 });
  });

  it("counts a UTC day and refuses the day's last-plus-one until midnight, in words", async () => {
    const { limiter } = fresh();
    for (let i = 0; i < 5; i++) expect((await send(limiter, "a@x", NOON + i * 60_000)).ok).toBe(true);
    const sixth = await send(limiter, "a@x", NOON + 3_600_000);
    expect(sixth).toMatchObject({ ok: false, rule: 1, used: 5, retryAfterMs: 11 * 3_600_000 });
    const refusal = sendRefusal(LIMITS, 1, sixth as Extract<typeof sixth, { ok: false }>);
    expect(refusal.condition).toBe("policy-violation");
    expect(refusal.limit).toBe("messages-per-day");
    expect(refusal.message).toBe(
      "You have sent 5 messages today; the limit is 5 per day. Try again after 00:00 UTC.",
    );
    // Another user of the gateway is unaffected; the next day starts from zero.
    expect((await send(limiter, "b@x", NOON + 3_600_000)).ok).toBe(true);
    expect((await send(limiter, "a@x", Date.UTC(2030, 0, 2, 0, 0, 1))).ok).toBe(true);
  });

  it("counts nothing when one rule has no room (segments) and names that rule", async () => {
    const { limiter } = fresh();
    expect((await send(limiter, "a@x", NOON, 90)).ok).toBe(true);
    const over = await send(limiter, "a@x", NOON, 20);
    expect(over).toMatchObject({ ok: false, rule: 2 });
    const refusal = sendRefusal(LIMITS, 20, over as Extract<typeof over, { ok: false }>);
    expect(refusal.message).toMatch(/needs 20 SMS segments, and you may send 600 a minute, 100 at once/);
    // The refused message took no message token: two more of the burst of three are left.
    const next = await Promise.all([0, 1, 2].map(() => send(limiter, "a@x", NOON, 1)));
    expect(next.map((v) => v.ok)).toEqual([true, true, false]);
  });

  it("says 'never' for a use larger than the bucket", async () => {
    const { limiter } = fresh();
    expect(await send(limiter, "a@x", NOON, 101)).toMatchObject({ ok: false, rule: 2, retryAfterMs: -1 });
  });

  it("applies a user's override over the gateway's defaults", async () => {
    const { limiter } = fresh();
    const overrides = new Map([["vip@x", { messagesPerDay: 7, messagesBurst: 10 }]]);
    const vip = limitsOf(LIMITS, overrides, "vip@x");
    expect(vip).toEqual({ ...LIMITS, messagesPerDay: 7, messagesBurst: 10 });
    expect(limitsOf(LIMITS, overrides, "a@x")).toBe(LIMITS);
    const results = await Promise.all(Array.from({ length: 8 }, () => send(limiter, "vip@x", NOON, 1, vip)));
    expect(results.map((v) => v.ok)).toEqual([true, true, true, true, true, true, true, false]);
    expect(results[7]).toMatchObject({ rule: 1, used: 7 });
  });

  it("counts a resend with the same id once", async () => {
    const { limiter } = fresh();
    for (let i = 0; i < 5; i++)
      expect((await send(limiter, "a@x", NOON + i * 2000, 1, LIMITS, "job-1")).ok).toBe(true);
    expect((await send(limiter, "a@x", NOON + 20_000, 1, LIMITS, "job-2")).ok).toBe(true);
    expect((await send(limiter, "a@x", NOON + 40_000)).ok).toBe(true);
    // job-1 counted once, job-2 once, the anonymous one once: 3 of 5 used.
    expect((await send(limiter, "a@x", NOON + 60_000)).ok).toBe(true);
    expect((await send(limiter, "a@x", NOON + 80_000)).ok).toBe(true);
    expect(await send(limiter, "a@x", NOON + 100_000)).toMatchObject({ ok: false, rule: 1, used: 5 });
    // Refused uses are not marked: the same id is counted when it gets in later.
    expect(await send(limiter, "a@x", NOON + 100_000, 1, LIMITS, "job-3")).toMatchObject({ ok: false });
  });

  it("leaves only keys with a TTL: buckets until full again, windows until the day ends", async () => {
    const { prefix, limiter } = fresh();
    const now = Date.now();
    expect((await send(limiter, "a@x", now, 2, LIMITS, "job-ttl")).ok).toBe(true);
    const keys = await redis.keys(`{${prefix}}:*`);
    expect(keys).toHaveLength(5);
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(86_400_000);
    }
    const bucket = keys.find((k) => k.includes("messages-per-minute")) ?? "";
    // Three messages' worth at one a second, plus a second of slack.
    expect(await redis.pttl(bucket)).toBeLessThanOrEqual(4000);
  });

  /** The script calls Redis runs while `work` runs (MONITOR, waited for with a marker). */
  const scriptCalls = async (work: () => Promise<unknown>): Promise<string[]> => {
    const monitor = await redis.monitor();
    const commands: string[] = [];
    monitor.on("monitor", (_time: string, args: string[]) => commands.push(String(args[0]).toLowerCase()));
    await work();
    // MONITOR reports commands in the order Redis ran them, a little later: wait for one after ours.
    await redis.echo("limiter-test-end");
    await waitFor(() => commands.includes("echo"), {
      timeoutMs: 5_000,
      description: "the monitor to catch up",
    });
    monitor.disconnect();
    return commands.filter((c) => c === "evalsha" || c === "eval");
  };

  it("sends the checks of one event-loop turn as one script call, 256 checks at most", async () => {
    const { limiter } = fresh();
    await send(limiter, "warm@x", NOON); // the script is cached from here on
    let results: Awaited<ReturnType<typeof send>>[] = [];
    const twenty = await scriptCalls(async () => {
      results = await Promise.all(Array.from({ length: 20 }, (_, i) => send(limiter, `u${i}@x`, NOON)));
    });
    expect(results.every((v) => v.ok)).toBe(true);
    expect(twenty).toEqual(["evalsha"]);
    // 300 checks: two calls. Each check keeps its own verdict: the burst of 3 lets 3 of one
    // user's 5 through, wherever the split falls.
    const many = await scriptCalls(async () => {
      results = await Promise.all(Array.from({ length: 300 }, (_, i) => send(limiter, `m${i % 60}@x`, NOON)));
    });
    expect(many).toEqual(["evalsha", "evalsha"]);
    const byUser = new Map<number, boolean[]>();
    results.forEach((v, i) => {
      byUser.set(i % 60, [...(byUser.get(i % 60) ?? []), v.ok]);
    });
    for (const oks of byUser.values()) expect(oks).toEqual([true, true, true, false, false]);
  });

  it("keeps each check's own time and refuses only the check whose key Redis refuses", async () => {
    const { prefix, limiter } = fresh();
    const window = (id: string, endsAt: number): LimitRule[] => [
      { kind: "window", id, limit: 1, endsAt, cost: 1 },
    ];
    const bucket = (id: string): LimitRule[] => [
      { kind: "bucket", id, capacity: 1, msPerToken: 1000, cost: 1 },
    ];
    await limiter.take(bucket("t:b"), NOON);
    // The bucket is empty at NOON; a check at NOON + 1 s in the same turn finds a token.
    await redis.hset(`{${prefix}}:limit:t:broken`, "a", "1"); // a hash where a counter belongs
    const [early, late, broken, fine] = await Promise.allSettled([
      limiter.take(bucket("t:b"), NOON),
      limiter.take(bucket("t:b"), NOON + 1000),
      limiter.take(window("t:broken", NOON + 60_000), NOON),
      limiter.take(window("t:fine", NOON + 60_000), NOON),
    ]);
    expect(early).toMatchObject({ status: "fulfilled", value: { ok: false, retryAfterMs: 1000 } });
    expect(late).toMatchObject({ status: "fulfilled", value: { ok: true } });
    expect(broken.status).toBe("rejected");
    expect(String((broken as PromiseRejectedResult).reason)).toMatch(
      /rate limit check failed in Redis: .*WRONGTYPE/,
    );
    expect(fine).toMatchObject({ status: "fulfilled", value: { ok: true } });
    expect(await redis.get(`{${prefix}}:limit:t:fine`)).toBe("1");
  });

  it("loads the script again when Redis lost it (a restart), without counting twice", async () => {
    const { limiter } = fresh();
    await redis.script("FLUSH");
    const rules: LimitRule[] = [{ kind: "window", id: "t:w", limit: 2, endsAt: NOON + 60_000, cost: 1 }];
    expect(await Promise.all([limiter.take(rules, NOON), limiter.take(rules, NOON)])).toEqual([
      { ok: true },
      { ok: true },
    ]);
    expect(await limiter.take(rules, NOON)).toMatchObject({ ok: false, used: 2 });
  });
});
