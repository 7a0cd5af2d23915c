/** ContactBook against real Redis: "first time" is answered once per user and contact, across processes. */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ContactBook } from "../../src/store/contacts.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";

describe("ContactBook", () => {
  let redis: Redis;
  const prefix = uniquePrefix("contacts");

  beforeAll(() => {
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
  });
  afterAll(() => redis.disconnect());

  it("is true once per user and contact, and asks Redis only the first time", async () => {
    const book = new ContactBook(redis, prefix);
    const hsetnx = vi.spyOn(redis, "hsetnx");
    expect(await book.firstTime("sms", "alice@localhost", "+15557654321")).toBe(true);
    expect(await book.firstTime("sms", "alice@localhost", "+15557654321")).toBe(false);
    expect(await book.firstTime("sms", "alice@localhost", "+15557654321")).toBe(false);
    expect(hsetnx).toHaveBeenCalledTimes(1);
    expect(await book.firstTime("sms", "bob@localhost", "+15557654321")).toBe(true);
    expect(await book.firstTime("sms", "alice@localhost", "+15550000000")).toBe(true);
    hsetnx.mockRestore();
  });

  it("remembers across processes through Redis (a restarted gateway sends no second nickname)", async () => {
    const before = new ContactBook(redis, prefix);
    expect(await before.firstTime("sms", "carol@localhost", "+15557654321")).toBe(true);
    const restarted = new ContactBook(redis, prefix);
    expect(await restarted.firstTime("sms", "carol@localhost", "+15557654321")).toBe(false);
  });
});
