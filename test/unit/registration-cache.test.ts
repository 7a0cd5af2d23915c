import { describe, expect, it } from "vitest";
import type { Registration } from "../../src/core/registrations.js";
import { CachedRegistrationStore } from "../../src/store/registration-cache.js";
import { MemoryRegistrationStore } from "../harness/memory-registrations.js";

const alice: Registration = { jid: "alice@localhost", address: "+15550001111", source: "config" };

function setup() {
  const store = new MemoryRegistrationStore();
  let reads = 0;
  const counted = {
    byJid: (g: string, j: string) => {
      reads++;
      return store.byJid(g, j);
    },
    byAddress: (g: string, n: string) => {
      reads++;
      return store.byAddress(g, n);
    },
    put: (g: string, r: Registration) => store.put(g, r),
    remove: (g: string, j: string) => store.remove(g, j),
    list: (g: string) => store.list(g),
  };
  let now = 1_000;
  const cache = new CachedRegistrationStore(counted, 5_000, () => now);
  return {
    store,
    cache,
    reads: () => reads,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("CachedRegistrationStore", () => {
  it("answers repeated lookups from memory until the entry is older than the TTL", async () => {
    const t = setup();
    await t.store.put("sms", alice);
    for (let i = 0; i < 5; i++) expect(await t.cache.byJid("sms", alice.jid)).toEqual(alice);
    for (let i = 0; i < 5; i++) expect(await t.cache.byAddress("sms", alice.address)).toEqual(alice);
    expect(t.reads()).toBe(2);
    t.advance(5_001);
    expect(await t.cache.byJid("sms", alice.jid)).toEqual(alice);
    expect(t.reads()).toBe(3);
  });

  it("never caches 'not registered', so a new registration made elsewhere is seen at once", async () => {
    const t = setup();
    expect(await t.cache.byJid("sms", alice.jid)).toBeUndefined();
    await t.store.put("sms", alice); // another process, straight to the store
    expect(await t.cache.byJid("sms", alice.jid)).toEqual(alice);
  });

  it("forgets everything on a change made through it, in both directions", async () => {
    const t = setup();
    await t.cache.put("sms", alice);
    expect(await t.cache.byAddress("sms", alice.address)).toEqual(alice);
    const moved = { ...alice, address: "+15550002222" };
    await t.cache.put("sms", moved);
    expect(await t.cache.byJid("sms", alice.jid)).toEqual(moved);
    expect(await t.cache.byAddress("sms", alice.address)).toBeUndefined();
    expect(await t.cache.remove("sms", alice.jid)).toBe(true);
    expect(await t.cache.byJid("sms", alice.jid)).toBeUndefined();
  });

  it("does not cache an answer loaded while a change was being made", async () => {
    const store = new MemoryRegistrationStore();
    await store.put("sms", alice);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = {
      byJid: async (g: string, j: string) => {
        const old = await store.byJid(g, j); // the old binding, read before the change...
        await gate; // ...answered after it
        return old;
      },
      byAddress: (g: string, n: string) => store.byAddress(g, n),
      put: (g: string, r: Registration) => store.put(g, r),
      remove: (g: string, j: string) => store.remove(g, j),
      list: (g: string) => store.list(g),
    };
    const cache = new CachedRegistrationStore(slow, 60_000);
    const lookup = cache.byJid("sms", alice.jid);
    expect(await cache.remove("sms", alice.jid)).toBe(true);
    release();
    expect(await lookup).toEqual(alice);
    release = () => {};
    expect(await cache.byJid("sms", alice.jid)).toBeUndefined();
  });

  it("keeps the gateways apart", async () => {
    const t = setup();
    await t.store.put("sms", alice);
    expect(await t.cache.byJid("sms", alice.jid)).toEqual(alice);
    expect(await t.cache.byJid("other", alice.jid)).toBeUndefined();
  });
});
