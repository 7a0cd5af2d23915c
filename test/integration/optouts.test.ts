/**
 * The opt-out store on the local Redis (unique prefix): the latest STOP or START per pair of
 * numbers wins by the event's time, whatever order the events arrive in; records live a bounded,
 * refreshed time; records of the old layout (one hash per number) are carried over.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeKey } from "../../src/store/keys.js";
import { OptOutStore } from "../../src/store/optouts.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";

const GATEWAY = "sms";
const OURS = "+15550001111";
const TTL = 400 * 24 * 3600;

describe("opt-out store", () => {
  const prefix = uniquePrefix("optouts");
  let redis: Redis;
  let store: OptOutStore;
  let n = 0;
  const theirs = () => `+1555765${String(1000 + n++)}`;

  beforeAll(() => {
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
    store = new OptOutStore(redis, prefix, TTL);
  });

  afterAll(() => redis?.disconnect());

  it("keeps a newer STOP when an older START arrives after it", async () => {
    const them = theirs();
    expect(await store.apply(GATEWAY, OURS, them, "stop", 2_000, "inbound")).toBe("applied");
    expect(await store.apply(GATEWAY, OURS, them, "start", 1_000, "inbound")).toBe("stale");
    expect(await store.get(GATEWAY, OURS, them)).toMatchObject({ at: 2_000 });
  });

  it("keeps a newer START when an older STOP arrives after it", async () => {
    const them = theirs();
    expect(await store.apply(GATEWAY, OURS, them, "start", 2_000, "inbound")).toBe("applied");
    expect(await store.apply(GATEWAY, OURS, them, "stop", 1_000, "inbound")).toBe("stale");
    expect(await store.get(GATEWAY, OURS, them)).toBeUndefined();
  });

  it("applies events in order, STOP winning a tie", async () => {
    const them = theirs();
    await store.apply(GATEWAY, OURS, them, "stop", 1_000, "inbound");
    expect(await store.apply(GATEWAY, OURS, them, "start", 2_000, "inbound")).toBe("applied");
    expect(await store.get(GATEWAY, OURS, them)).toBeUndefined();
    expect(await store.apply(GATEWAY, OURS, them, "stop", 3_000, "provider-error")).toBe("applied");
    expect(await store.get(GATEWAY, OURS, them)).toEqual({ at: 3_000, source: "provider-error" });
    expect(await store.apply(GATEWAY, OURS, them, "start", 3_000, "inbound")).toBe("stale");
    expect(await store.get(GATEWAY, OURS, them)).toBeDefined();
  });

  it("keeps a START as a record (so an older STOP cannot come back), with the configured life", async () => {
    const them = theirs();
    await store.apply(GATEWAY, OURS, them, "start", Date.now(), "inbound");
    const keys = await redis.keys(`{${prefix}}:optout:${GATEWAY}:${OURS}:${them}`);
    expect(keys).toHaveLength(1);
    const ttl = await redis.ttl(keys[0] ?? "");
    expect(ttl).toBeGreaterThan(TTL - 60);
    expect(ttl).toBeLessThanOrEqual(TTL);
  });

  it("refreshes the life of a record on each event", async () => {
    const them = theirs();
    await store.apply(GATEWAY, OURS, them, "stop", 1_000, "inbound");
    const key = `{${prefix}}:optout:${GATEWAY}:${OURS}:${them}`;
    await redis.expire(key, 100);
    await store.apply(GATEWAY, OURS, them, "stop", 2_000, "inbound");
    expect(await redis.ttl(key)).toBeGreaterThan(TTL - 60);
  });

  it("records a provider's refusal as a STOP of now", async () => {
    const them = theirs();
    const before = Date.now();
    await store.record(GATEWAY, OURS, them, "provider-error");
    const got = await store.get(GATEWAY, OURS, them);
    expect(got?.source).toBe("provider-error");
    expect(got?.at).toBeGreaterThanOrEqual(before);
  });

  it("treats an unreadable record as opted out (never send to someone who may have said STOP)", async () => {
    const them = theirs();
    await redis.set(`{${prefix}}:optout:${GATEWAY}:${OURS}:${them}`, "{not json");
    expect(await store.get(GATEWAY, OURS, them)).toBeDefined();
  });

  it("carries STOPs of the old layout (one hash per number) over, with a bounded life", async () => {
    const them = theirs();
    const legacy = storeKey(prefix, "optout", GATEWAY, OURS);
    await redis.hset(legacy, them, JSON.stringify({ at: 5_000, source: "inbound" }));
    expect(await store.migrateLegacy()).toBe(1);
    expect(await redis.exists(legacy)).toBe(0);
    expect(await store.get(GATEWAY, OURS, them)).toEqual({ at: 5_000, source: "inbound" });
    // An older START still cannot undo it; the migration runs once per installation.
    expect(await store.apply(GATEWAY, OURS, them, "start", 4_000, "inbound")).toBe("stale");
    await redis.hset(legacy, theirs(), JSON.stringify({ at: 6_000, source: "inbound" }));
    expect(await store.migrateLegacy()).toBe(0);
    expect(await redis.ttl(`{${prefix}}:optout:${GATEWAY}:${OURS}:${them}`)).toBeGreaterThan(0);
  });
});
