/**
 * The pacer's Lua script on the machine's Redis: a burst, then one slot per interval; a booked slot
 * answered again with the time left and taken once when it has come; a slot taken late spread at
 * the pace; one turn's bookings in one script call, in order; numbers and gateways apart;
 * keys with a bounded life. And awaitSlot: a long wait parks (NotYet), a short one is waited.
 */
import { describe, expect, it } from "vitest";
import { awaitSlot, paceOf } from "../../src/core/pipeline/pacing.js";
import { NotYet, type Pace } from "../../src/core/ports.js";
import { RedisSendPacer } from "../../src/store/send-pacer.js";
import { uniquePrefix, useOwnRedis } from "../harness/redis.js";
import { waitFor } from "../harness/wait.js";

const T0 = Date.UTC(2030, 0, 1, 12);
const PACE: Pace = { perSecond: 2, burst: 3 };

describe("RedisSendPacer", () => {
  // A redis-server of its own: MONITOR sees every client's commands, and the other test files'
  // pacers and limiters on the shared Redis would count as this file's script calls.
  const own = useOwnRedis();

  it("lets a burst go, then books one slot per interval", async () => {
    const pacer = new RedisSendPacer(own.redis, uniquePrefix("pacer"));
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) waits.push(await pacer.take("gw", "+15550001111", PACE, `j${i}`, T0));
    expect(waits).toEqual([0, 0, 0, 500, 1000, 1500]);
  });

  it("books the sends of one event-loop turn in one script call, in the order they were asked", async () => {
    const pacer = new RedisSendPacer(own.redis, uniquePrefix("pacer"));
    await pacer.take("gw", "+15550002222", PACE, "warm", T0); // the script is cached from here on
    const monitor = await own.redis.monitor();
    const commands: string[] = [];
    monitor.on("monitor", (_time: string, args: string[]) => commands.push(String(args[0]).toLowerCase()));
    const waits = await Promise.all(
      Array.from({ length: 6 }, (_, i) => pacer.take("gw", "+15550002222", PACE, `t${i}`, T0)),
    );
    // MONITOR reports commands a little later: wait for one sent after ours.
    await own.redis.echo("pacer-test-end");
    await waitFor(() => commands.includes("echo"), {
      timeoutMs: 5_000,
      description: "the monitor to catch up",
    });
    monitor.disconnect();
    expect(waits).toEqual([0, 0, 500, 1000, 1500, 2000]);
    expect(commands.filter((c) => c === "evalsha" || c === "eval")).toEqual(["evalsha"]);
  });

  it("answers a booked slot with the time left, lets it go once it has come, and books no second slot for it", async () => {
    const pacer = new RedisSendPacer(own.redis, uniquePrefix("pacer"));
    for (let i = 0; i < 3; i++) await pacer.take("gw", "+1555", PACE, `b${i}`, T0);
    expect(await pacer.take("gw", "+1555", PACE, "late", T0)).toBe(500);
    expect(await pacer.take("gw", "+1555", PACE, "late", T0 + 200)).toBe(300);
    expect(await pacer.take("gw", "+1555", PACE, "late", T0 + 500)).toBe(0);
    // The next one queues behind the booked slot, not beside it.
    expect(await pacer.take("gw", "+1555", PACE, "next", T0 + 500)).toBe(500);
  });

  it("lets a slot taken late go only when the sends made leave room, not together with the ones after it", async () => {
    const pacer = new RedisSendPacer(own.redis, uniquePrefix("pacer"));
    const take = (slot: string, at: number) => pacer.take("gw", "+1555", PACE, slot, T0 + at);
    const booked: number[] = [];
    for (let i = 0; i < 8; i++) booked.push(await take(`s${i}`, 0));
    expect(booked).toEqual([0, 0, 0, 500, 1000, 1500, 2000, 2500]);
    // On time, the sends made hold nothing up.
    expect(await take("s3", 500)).toBe(0);
    // s4 to s7 woken together at s7's time: the burst's room is there, the rest is paced again.
    const late = [
      await take("s4", 2500),
      await take("s5", 2500),
      await take("s6", 2500),
      await take("s7", 2500),
    ];
    expect(late).toEqual([0, 0, 0, 500]);
    expect(await take("s7", 2900)).toBe(100);
    expect(await take("s7", 3000)).toBe(0);
    // A new send waits for the room the late ones took (it would have gone at once before).
    expect(await take("s8", 3000)).toBe(500);
  });

  it("keeps a pace above 1,000/s: slots a fraction of a millisecond apart, not one", async () => {
    const pacer = new RedisSendPacer(own.redis, uniquePrefix("pacer"));
    const fast = { perSecond: 4_000, burst: 1 };
    const waits: number[] = [];
    for (let i = 0; i < 100; i++) waits.push(await pacer.take("gw", "+1555", fast, `f${i}`, T0));
    // 0.25 ms apart: the 100th send is booked 24.75 ms on, answered as 25 (whole ms, rounded up).
    expect(waits.slice(0, 5)).toEqual([0, 1, 1, 1, 1]);
    expect(waits[99]).toBe(25);
    // The booked slot is let go at its (fractional) time, not a millisecond late.
    expect(await pacer.take("gw", "+1555", fast, "f99", T0 + 24)).toBe(1);
    expect(await pacer.take("gw", "+1555", fast, "f99", T0 + 25)).toBe(0);
  });

  it("keeps numbers and gateways apart, and its keys expire", async () => {
    const prefix = uniquePrefix("pacer");
    const pacer = new RedisSendPacer(own.redis, prefix);
    const one = { perSecond: 1, burst: 1 };
    expect(await pacer.take("gw", "+1", one, "a", T0)).toBe(0);
    expect(await pacer.take("gw", "+2", one, "b", T0)).toBe(0);
    expect(await pacer.take("other", "+1", one, "c", T0)).toBe(0);
    expect(await pacer.take("gw", "+1", one, "d", T0)).toBe(1000);
    const keys = await own.redis.keys(`*${prefix}*pace*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(await own.redis.pttl(k)).toBeGreaterThan(0);
  });
});

describe("awaitSlot", () => {
  const pacer = (answers: number[]) => ({ take: async () => answers.shift() ?? 0 });

  it("parks a send whose slot is later (NotYet at its time), waits a short wait in place, and lets the unpaced go", async () => {
    const long = awaitSlot({ pacer: pacer([900]), paceOf: () => PACE }, "gw", "+1", "s", () => T0);
    await expect(long).rejects.toEqual(new NotYet(T0 + 900));
    await expect(awaitSlot({ pacer: pacer([20, 0]), paceOf: () => PACE }, "gw", "+1", "s")).resolves.toBe(
      undefined,
    );
    await expect(
      awaitSlot({ pacer: pacer([900]), paceOf: () => undefined }, "gw", "+1", "s"),
    ).resolves.toBeUndefined();
  });

  it("takes a user's own pace over the gateway's", () => {
    const own = { perSecond: 20, burst: 5 };
    const of = paceOf(PACE, [{ number: "+1", pacing: own }, { number: "+2" }]);
    expect(of("+1")).toBe(own);
    expect(of("+2")).toBe(PACE);
    expect(paceOf(undefined, [])("+3")).toBeUndefined();
  });
});
