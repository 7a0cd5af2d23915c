/** ContactBook against real Redis: "first time" is answered once per user and contact, across processes. */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ContactBook } from "../../src/store/contacts.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";

describe("ContactBook", () => {
  let redis: Redis;
  const prefix = uniquePrefix("contacts");

  beforeAll(async () => {
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
    // A Redis that has not run the script yet answers NOSCRIPT and is asked again with EVAL: a
    // second call the counts below are not about.
    await new ContactBook(redis, prefix).firstTime("sms", "warm-up@localhost", "+15550000001");
  });
  afterAll(() => redis.disconnect());

  it("is true once per user and contact, and asks Redis only the first time", async () => {
    const book = new ContactBook(redis, prefix);
    const asked = vi.spyOn(redis, "pipeline");
    expect(await book.firstTime("sms", "alice@localhost", "+15557654321")).toBe(true);
    expect(await book.firstTime("sms", "alice@localhost", "+15557654321")).toBe(false);
    expect(await book.firstTime("sms", "alice@localhost", "+15557654321")).toBe(false);
    expect(asked).toHaveBeenCalledTimes(1);
    expect(await book.firstTime("sms", "bob@localhost", "+15557654321")).toBe(true);
    expect(await book.firstTime("sms", "alice@localhost", "+15550000000")).toBe(true);
    asked.mockRestore();
  });

  it("asks for a turn's first sightings in one EVALSHA, any text as the address", async () => {
    const book = new ContactBook(redis, prefix);
    const sent = vi.spyOn(redis, "sendCommand");
    const seen = await Promise.all(
      ["+15551110001", "+15551110002", "mail,with comma@example.org", "+15551110001"].map((a) =>
        book.firstTime("sms", "erin@localhost", a),
      ),
    );
    // Not HSETNX, EXPIRE and HLEN for each (the pipeline of the turn, before).
    expect(sent.mock.calls.map(([command]) => command.name)).toEqual(["evalsha"]);
    sent.mockRestore();
    // The same address twice in one turn: the second use finds the first's field.
    expect(seen).toEqual([true, true, true, false]);
    const key = `{${prefix}}:contacts:sms:erin@localhost`;
    expect((await redis.hkeys(key)).sort()).toEqual([
      "+15551110001",
      "+15551110002",
      "mail,with comma@example.org",
    ]);
  });

  it("remembers across processes through Redis (a restarted gateway sends no second nickname)", async () => {
    const before = new ContactBook(redis, prefix);
    expect(await before.firstTime("sms", "carol@localhost", "+15557654321")).toBe(true);
    const restarted = new ContactBook(redis, prefix);
    expect(await restarted.firstTime("sms", "carol@localhost", "+15557654321")).toBe(false);
  });

  it("gives each user's hash a bounded life and size (the nickname rule is cosmetic)", async () => {
    const book = new ContactBook(redis, prefix, { ttlSeconds: 3600, maxContacts: 3 });
    const key = `{${prefix}}:contacts:sms:dave@localhost`;
    for (let i = 0; i < 10; i++) await book.firstTime("sms", "dave@localhost", `+1555000000${i}`);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3600);
    expect(await redis.hlen(key)).toBeLessThanOrEqual(3);
  });
});
