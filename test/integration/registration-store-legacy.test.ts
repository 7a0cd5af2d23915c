/**
 * Records written before registrations said `address` name it `number`: the Redis store still
 * reads them, and rebinding or removing one keeps the address index consistent (local Redis,
 * unique prefix; the old records are written with raw commands, as the older versions wrote them).
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeKey } from "../../src/store/keys.js";
import { RedisRegistrationStore } from "../../src/store/registrations.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";

const GATEWAY = "sms";
let redis: Redis;
let prefix: string;
let store: RedisRegistrationStore;
const byJidKey = () => storeKey(prefix, "reg", GATEWAY, "by-jid");
const byNumberKey = () => storeKey(prefix, "reg", GATEWAY, "by-number");

async function writeOld(jid: string, number: string): Promise<void> {
  await redis.hset(byJidKey(), jid, JSON.stringify({ jid, number, source: "config" }));
  await redis.hset(byNumberKey(), number, jid);
}

beforeAll(() => {
  redis = new Redis(redisUrl());
  prefix = uniquePrefix("reg-legacy");
  store = new RedisRegistrationStore(redis, prefix);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe("registrations written with the old field name", () => {
  it("are read by jid, by address and in the list", async () => {
    await writeOld("alice@example.org", "+15550001111");
    const alice = { jid: "alice@example.org", address: "+15550001111", source: "config" };
    expect(await store.byJid(GATEWAY, "alice@example.org")).toEqual(alice);
    expect(await store.byAddress(GATEWAY, "+15550001111")).toEqual(alice);
    expect(await store.list(GATEWAY)).toEqual([alice]);
  });

  it("free their old address when rebound, and both entries when removed", async () => {
    await writeOld("bob@example.org", "+15550002222");
    await store.put(GATEWAY, { jid: "bob@example.org", address: "+15550003333", source: "admin" });
    expect(await redis.hget(byNumberKey(), "+15550002222")).toBeNull();
    expect(await store.byAddress(GATEWAY, "+15550003333")).toMatchObject({ jid: "bob@example.org" });

    await writeOld("carol@example.org", "+15550004444");
    expect(await store.remove(GATEWAY, "carol@example.org")).toBe(true);
    expect(await redis.hget(byNumberKey(), "+15550004444")).toBeNull();
    expect(await store.byJid(GATEWAY, "carol@example.org")).toBeUndefined();
  });
});
