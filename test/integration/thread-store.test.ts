/** RedisThreadStore against real Redis: per-conversation refs, shared across processes, bounded per user. */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { threadsOf } from "../../src/core/threads.js";
import { RedisThreadStore } from "../../src/store/threads.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";

describe("RedisThreadStore", () => {
  let redis: Redis;
  const prefix = uniquePrefix("threads");

  beforeAll(() => {
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
  });
  afterAll(() => redis.disconnect());

  it("keeps the last ref per (user, contact) and gateway, seen by another process", async () => {
    const one = threadsOf(new RedisThreadStore(redis, prefix), "mail");
    const ref = { messageId: "a@x", references: ["root@x"] };
    expect(await one.last("alice@mail.test", "bob@example.com")).toBeUndefined();
    await one.remember("alice@mail.test", "bob@example.com", ref);
    await one.remember("alice@mail.test", "carol@example.com", { messageId: "c@x", references: [] });
    const other = threadsOf(new RedisThreadStore(redis, prefix), "mail");
    expect(await other.last("alice@mail.test", "bob@example.com")).toEqual(ref);
    expect(await other.last("alice@mail.test", "carol@example.com")).toEqual({
      messageId: "c@x",
      references: [],
    });
    expect(
      await threadsOf(new RedisThreadStore(redis, prefix), "mail2").last(
        "alice@mail.test",
        "bob@example.com",
      ),
    ).toBeUndefined();
    await other.remember("alice@mail.test", "bob@example.com", {
      messageId: "b@x",
      references: ["root@x", "a@x"],
    });
    expect((await one.last("alice@mail.test", "bob@example.com"))?.messageId).toBe("b@x");
  });

  it("caps each user's conversations (oldest dropped) and gives both keys a bounded life", async () => {
    let now = 1_000;
    const store = new RedisThreadStore(redis, prefix, { ttlSeconds: 3600, maxConversations: 3 }, () => now++);
    for (let i = 0; i < 10; i++)
      await store.remember("mail", "dave@mail.test", `c${i}@example.com`, {
        messageId: `m${i}@x`,
        references: [],
      });
    const hash = `{${prefix}}:threads:mail:dave@mail.test`;
    const times = `{${prefix}}:threads-at:mail:dave@mail.test`;
    expect(await redis.hlen(hash)).toBe(3);
    expect(await redis.zcard(times)).toBe(3);
    expect(await store.last("mail", "dave@mail.test", "c0@example.com")).toBeUndefined();
    expect(await store.last("mail", "dave@mail.test", "c9@example.com")).toEqual({
      messageId: "m9@x",
      references: [],
    });
    for (const key of [hash, times]) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(3600);
    }
  });

  it("refuses a ref it could not read back, and reads an unreadable one as none", async () => {
    const store = new RedisThreadStore(redis, prefix);
    const long = { messageId: `${"x".repeat(300)}@x`, references: [] };
    await expect(store.remember("mail", "erin@mail.test", "bob@example.com", long)).rejects.toThrow();
    expect(await redis.exists(`{${prefix}}:threads:mail:erin@mail.test`)).toBe(0);
    await redis.hset(`{${prefix}}:threads:mail:erin@mail.test`, "bob@example.com", "{not json");
    expect(await store.last("mail", "erin@mail.test", "bob@example.com")).toBeUndefined();
  });
});
