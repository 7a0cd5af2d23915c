/**
 * The part ledger's two hot-path scripts (store/sent-parts.ts) on a real Redis (its own server:
 * one test flushes the script cache, another fills its memory limit, another resets its command
 * statistics): `open` reads the opt-out and claims part 0, `recordSent` writes the id and the
 * message log's record and takes an early report, each as one EVALSHA for all the jobs of one
 * event-loop turn, with the keys, lives and values the stores read.
 */
import type { Redis } from "ioredis";
import { beforeAll, describe, expect, it } from "vitest";
import { CLAIMED, NEVER_SENT } from "../../src/core/pipeline/part-state.js";
import type { SentRecord } from "../../src/core/pipeline/records.js";
import { storeKey } from "../../src/store/keys.js";
import { MessageMap } from "../../src/store/message-map.js";
import { OptOutStore } from "../../src/store/optouts.js";
import { RedisSendPacer } from "../../src/store/send-pacer.js";
import { SentParts } from "../../src/store/sent-parts.js";
import { uniquePrefix, useOwnRedis } from "../harness/redis.js";
import { waitFor } from "../harness/wait.js";

const GATEWAY = "sms";
const FROM = "+15550001111";
const TO = "+15550002222";
/** The part's life (the dedup TTL) and the record's: different, so each is checked on its key. */
const PART_TTL = 600;
const RECORD_TTL = 7200;

const RECORD: SentRecord = {
  jobId: "o-job",
  senderJid: "alice@localhost",
  contactLocalpart: TO,
  receipt: true,
  parts: 1,
};

const REPORT = { kind: "status", providerMessageId: "SMx", status: "failed", reason: "unreachable" };

/** Calls per command since the last CONFIG RESETSTAT (INFO commandstats). */
async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info("commandstats");
  const calls: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)) calls[m[1] ?? ""] = Number(m[2]);
  return calls;
}

describe("part ledger scripts", () => {
  const own = useOwnRedis();
  let redis: Redis;
  beforeAll(() => {
    redis = own.redis;
  });

  const fresh = () => {
    const prefix = uniquePrefix("ledger-scripts");
    const optOuts = new OptOutStore(redis, prefix, 3600);
    const messageMap = new MessageMap(redis, prefix, RECORD_TTL);
    const parts = new SentParts(redis, prefix, PART_TTL, optOuts, messageMap);
    const partKey = (jobId: string, part = 0) => storeKey(prefix, "sent", GATEWAY, jobId, String(part));
    return { prefix, optOuts, messageMap, parts, partKey };
  };
  const job = (jobId: string, to = TO) => ({ gatewayId: GATEWAY, jobId, from: FROM, to });

  it("open claims a fresh part and reads the pair's opt-out", async () => {
    const { optOuts, parts, partKey } = fresh();
    await optOuts.record(GATEWAY, FROM, "+15550003333", "inbound");
    await optOuts.apply(GATEWAY, FROM, "+15550004444", "stop", 1000, "inbound");
    await optOuts.apply(GATEWAY, FROM, "+15550004444", "start", 2000, "inbound");

    expect(await parts.open(job("o-stopped", "+15550003333"), "in-flight:a")).toEqual({
      optedOut: true,
      state: CLAIMED,
    });
    expect(await parts.open(job("o-restarted", "+15550004444"), "in-flight:b")).toEqual({
      optedOut: false,
      state: CLAIMED,
    });
    expect(await parts.open(job("o-never"), "in-flight:c")).toEqual({ optedOut: false, state: CLAIMED });
    expect(await redis.get(partKey("o-never"))).toBe("in-flight:c");
    const ttl = await redis.ttl(partKey("o-never"));
    expect(ttl).toBeGreaterThan(PART_TTL - 10);
    expect(ttl).toBeLessThanOrEqual(PART_TTL);
  });

  it("open books part 0's send slot with its claim, as the pacer would, but not for a held part or an opted-out pair", async () => {
    const prefix = uniquePrefix("ledger-slots");
    const optOuts = new OptOutStore(redis, prefix, 3600);
    const pacer = new RedisSendPacer(redis, prefix);
    const parts = new SentParts(
      redis,
      prefix,
      PART_TTL,
      optOuts,
      new MessageMap(redis, prefix, RECORD_TTL),
      redis,
      pacer,
    );
    // One send a second, no burst: the first slot goes now, the next one a second later.
    const pace = { perSecond: 1, burst: 1 };
    const now = Date.now();
    const slot = (jobId: string) => ({ pace, slot: `${jobId}#0`, now });
    await redis.config("RESETSTAT");
    const [first, second] = await Promise.all([
      parts.open(job("o-slot-1"), "in-flight:a", slot("o-slot-1")),
      parts.open(job("o-slot-2"), "in-flight:b", slot("o-slot-2")),
    ]);
    expect(first).toEqual({ optedOut: false, state: CLAIMED, slotWait: 0 });
    expect(second).toEqual({ optedOut: false, state: CLAIMED, slotWait: 1000 });
    // Both claims and both bookings: one script call.
    expect(await commandCalls(redis)).toMatchObject({ evalsha: 1 });
    // The pacer finds the slot open booked (asked again after the wait, it goes).
    expect(await pacer.take(GATEWAY, FROM, pace, "o-slot-2#0", now + 1000)).toBe(0);
    // A part held by another attempt: nothing booked (the worker asks the pacer once it holds it).
    expect(await parts.open(job("o-slot-1"), "in-flight:other", slot("o-slot-1"))).toEqual({
      optedOut: false,
      state: { kind: "in-flight", claim: "in-flight:a" },
    });
    // An opted-out pair: claimed (the attempt then fails and releases it), no slot taken from the number.
    await optOuts.record(GATEWAY, FROM, "+15550003333", "inbound");
    expect(await parts.open(job("o-slot-3", "+15550003333"), "in-flight:c", slot("o-slot-3"))).toEqual({
      optedOut: true,
      state: CLAIMED,
    });
    expect(await redis.exists(storeKey(prefix, "pace", "slot", GATEWAY, "o-slot-3#0"))).toBe(0);
    // Without a slot, open books none.
    expect(await parts.open(job("o-slot-4"), "in-flight:d")).toEqual({ optedOut: false, state: CLAIMED });
    expect(await redis.exists(storeKey(prefix, "pace", "slot", GATEWAY, "o-slot-4#0"))).toBe(0);
  });

  it("a second open with another claim finds the part held, through the claim script", async () => {
    const { parts, partKey } = fresh();
    await parts.open(job("o-held"), "in-flight:first");
    expect(await parts.open(job("o-held"), "in-flight:second")).toEqual({
      optedOut: false,
      state: { kind: "in-flight", claim: "in-flight:first" },
    });
    // Our own claim found again (a replayed command) is ours.
    expect((await parts.open(job("o-held"), "in-flight:first")).state).toEqual(CLAIMED);
    // A claim its attempt noted never-sent is taken over.
    await parts.leaveNotes(job("o-held"), new Map([["in-flight:first", NEVER_SENT]]));
    expect((await parts.open(job("o-held"), "in-flight:third")).state).toEqual(CLAIMED);
    expect(await redis.get(partKey("o-held"))).toBe("in-flight:third");
    // Later parts: a plain SET NX, the same slow path.
    expect(await parts.claim(job("o-held"), 1, "in-flight:p1")).toEqual(CLAIMED);
    expect(await parts.claim(job("o-held"), 1, "in-flight:p1-again")).toEqual({
      kind: "in-flight",
      claim: "in-flight:p1",
    });
  });

  it("recordSent writes the id and the record and takes an early report once", async () => {
    const { prefix, messageMap, parts, partKey } = fresh();
    await parts.open(job("o-sent"), "in-flight:a");
    await messageMap.holdEarly(GATEWAY, "SMearly", REPORT, 60);

    const written = await parts.recordSent(job("o-sent"), 0, "SMearly", RECORD);
    expect(written.early).toEqual(REPORT);
    expect(() => written.confirm()).not.toThrow();
    expect(await redis.get(partKey("o-sent"))).toBe("SMearly");
    expect(await redis.ttl(partKey("o-sent"))).toBeGreaterThan(PART_TTL - 10);
    expect(await messageMap.get(GATEWAY, "SMearly")).toEqual({ ...RECORD, sentAt: expect.any(Number) });
    const mapKey = storeKey(prefix, "msgmap", GATEWAY, "SMearly");
    expect(await redis.ttl(mapKey)).toBeGreaterThan(RECORD_TTL - 10);
    expect(await redis.exists(storeKey(prefix, "early-report", GATEWAY, "SMearly"))).toBe(0);
    expect(await messageMap.takeEarly(GATEWAY, "SMearly")).toBeUndefined();

    // Taken once: the next write of the id finds none.
    expect((await parts.recordSent(job("o-sent"), 0, "SMearly", RECORD)).early).toBeUndefined();
  });

  it("recordSent keeps every field of the record and nothing else (the record is strict on read)", async () => {
    const { messageMap, parts } = fresh();
    const full: SentRecord = {
      ...RECORD,
      stanzaId: "s-1",
      contactResource: "desk",
      parts: 2,
      account: "AC0123",
    };
    // A wider object than a SentRecord is typed as one: its extra field must not reach Redis.
    const wider = { ...full, note: "not a record field" };
    await parts.recordSent(job("o-full"), 1, "SMfull", wider);
    expect(await messageMap.get(GATEWAY, "SMfull")).toEqual({ ...full, sentAt: expect.any(Number) });
  });

  it("recordSent takes only the report of the account the message was sent with", async () => {
    const { messageMap, parts } = fresh();
    const limit = { signer: "AC1", max: 10 };
    await messageMap.holdEarly(GATEWAY, "SMsigned", { ...REPORT, providerMessageId: "SMsigned" }, 60, limit);
    await messageMap.holdEarly(GATEWAY, "SMsigned", { ...REPORT, reason: "gateway's own" }, 60);
    const written = await parts.recordSent(job("o-signed"), 0, "SMsigned", { ...RECORD, account: "AC1" });
    expect(written.early).toEqual({ ...REPORT, providerMessageId: "SMsigned" });
    expect(await messageMap.takeEarly(GATEWAY, "SMsigned", "AC1")).toBeUndefined();
    expect(await messageMap.takeEarly(GATEWAY, "SMsigned")).toEqual({ ...REPORT, reason: "gateway's own" });
  });

  it("both scripts still work after Redis lost its script cache", async () => {
    const { messageMap, parts } = fresh();
    await parts.open(job("o-warm"), "in-flight:warm");
    await parts.recordSent(job("o-warm"), 0, "SMwarm", RECORD);
    await redis.script("FLUSH");
    await redis.call("CONFIG", "RESETSTAT");

    expect(await parts.open(job("o-flushed"), "in-flight:a")).toEqual({ optedOut: false, state: CLAIMED });
    await messageMap.holdEarly(GATEWAY, "SMflushed", REPORT, 60);
    const written = await parts.recordSent(job("o-flushed"), 0, "SMflushed", RECORD);
    expect(written.early).toEqual(REPORT);
    expect(await messageMap.get(GATEWAY, "SMflushed")).toMatchObject({ jobId: RECORD.jobId });
    // Each EVALSHA was refused (NOSCRIPT) and sent again as EVAL, which loaded the script.
    const calls = await commandCalls(redis);
    expect(calls.evalsha).toBe(2);
    expect(calls.eval).toBe(2);
  });

  it("recordSent rejects when its script fails, and no report is taken", async () => {
    const { prefix, messageMap, parts } = fresh();
    // A report key of the wrong type: GETDEL, the script's last step, fails after both writes.
    const earlyKey = storeKey(prefix, "early-report", GATEWAY, "SMwrongtype");
    await redis.hset(earlyKey, "not", "a report");
    // The other job of the same turn's call is not touched by it.
    const [wrongType, fine] = await Promise.allSettled([
      parts.recordSent(job("o-wrongtype"), 0, "SMwrongtype", RECORD),
      parts.recordSent(job("o-fine"), 0, "SMfine", RECORD),
    ]);
    expect(wrongType.status).toBe("rejected");
    expect(String((wrongType as PromiseRejectedResult).reason)).toMatch(
      /part ledger record failed in Redis: .*WRONGTYPE/,
    );
    expect(fine.status).toBe("fulfilled");
    expect(await messageMap.get(GATEWAY, "SMfine")).toMatchObject({ jobId: RECORD.jobId });
    expect(await redis.type(earlyKey)).toBe("hash");

    // Redis out of memory refuses the script: nothing written, nothing taken.
    await messageMap.holdEarly(GATEWAY, "SMoom", REPORT, 60);
    await redis.config("SET", "maxmemory", "1");
    try {
      await expect(parts.recordSent(job("o-oom"), 0, "SMoom", RECORD)).rejects.toThrow(/OOM/);
      await expect(parts.open(job("o-oom-open"), "in-flight:a")).rejects.toThrow(/OOM/);
    } finally {
      await redis.config("SET", "maxmemory", "0");
    }
    expect(await messageMap.get(GATEWAY, "SMoom")).toBeUndefined();
    expect(await messageMap.takeEarly(GATEWAY, "SMoom")).toEqual(REPORT);
  });

  it("a turn's opens are one EVALSHA and its records another; their steps run inside the scripts", async () => {
    const { parts } = fresh();
    // ioredis sends a script's first call on a connection as EVAL (which loads it), then EVALSHA.
    await parts.open(job("o-first"), "in-flight:first");
    await parts.recordSent(job("o-first"), 0, "SMfirst", RECORD);

    const monitor = await redis.monitor();
    const seen: { source: string; command: string }[] = [];
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      seen.push({ source: source === "lua" ? "lua" : "client", command: String(args[0]).toLowerCase() });
    });
    try {
      await redis.call("CONFIG", "RESETSTAT");
      await redis.echo("start");
      const jobs = ["o-c1", "o-c2", "o-c3"];
      await Promise.all(jobs.map((id) => parts.open(job(id), `in-flight:${id}`)));
      await Promise.all(jobs.map((id) => parts.recordSent(job(id), 0, `SM${id}`, RECORD)));
      await redis.echo("end");
      const calls = await commandCalls(redis);
      await waitFor(() => seen.filter((s) => s.command === "echo").length === 2, {
        description: "MONITOR to catch up",
      });

      expect(calls.evalsha).toBe(2);
      expect(calls.eval).toBeUndefined();
      // Commands a script runs count under their own names: the same steps as before.
      expect([calls.get, calls.set, calls.getdel]).toEqual([3, 9, 3]);
      // MONITOR names who sent each: the client sent only the two scripts (CONFIG is not shown).
      const between = seen.slice(
        seen.findIndex((s) => s.command === "echo") + 1,
        seen.findLastIndex((s) => s.command === "echo"),
      );
      expect(between.filter((s) => s.source === "client").map((s) => s.command)).toEqual([
        "evalsha",
        "evalsha",
      ]);
      expect(between.filter((s) => s.source === "lua").map((s) => s.command)).toEqual([
        ...jobs.flatMap(() => ["get", "set"]),
        ...jobs.flatMap(() => ["set", "set", "getdel"]),
      ]);
    } finally {
      monitor.disconnect();
    }
  });
});
