/**
 * The outbound worker takes jobs only while its send bound has room (send-bound.ts), on real
 * Redis and BullMQ: a backlog of batch jobs is taken a few ahead, not up to the worker's
 * concurrency with all their messages waiting in hand; single jobs still run up to the bound at
 * once; while the intake is behind, it sends BEHIND_SENDS at once and takes no job more; and every
 * message is sent once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { IntakeLag } from "../../src/core/intake-lag.js";
import { BEHIND_SENDS } from "../../src/queue/send-bound.js";
import { heldWorkerRig } from "../harness/held-worker.js";
import { waitFor } from "../harness/wait.js";

const BOUND = 20;
const BATCHES = 16;

describe("the outbound worker's send bound", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it("takes a backlog of batches a few ahead, not up to its concurrency, and sends each message once", async () => {
    const r = await heldWorkerRig({ name: "bound-batches", batches: "always", concurrency: BOUND });
    cleanup = r.close;
    const ids: string[] = [];
    for (let b = 0; b < BATCHES; b++) ids.push(...(await r.turn(`b${b}`, 50)));
    expect(await r.queue.getWaitingCount()).toBe(BATCHES);
    r.start();
    // The bound is full, and more than four bounds' worth wait once two batches are in: the worker
    // has what it can send. Taking jobs up to its concurrency (20), it would have all 16 batches
    // active by now (BullMQ takes them all before running the first); it takes 8 ahead, and one or
    // two more while the first batches' messages join the bound's queue.
    await waitFor(() => r.sends.size >= BOUND || undefined, { description: "the bound full" });
    expect(r.sends.size).toBe(BOUND);
    expect(await r.queue.getActiveCount()).toBeLessThanOrEqual(12);
    expect(await r.queue.getWaitingCount()).toBeGreaterThanOrEqual(BATCHES - 12);

    r.release();
    await waitFor(async () => (await r.queue.getCompletedCount()) === BATCHES || undefined, {
      timeoutMs: 20_000,
      description: "every batch completed",
    });
    expect([...r.sends.keys()].sort()).toEqual([...ids].sort());
    expect([...r.sends.values()].every((n) => n === 1)).toBe(true);
  });

  it("sends fewer at once while the intake is behind, all the bound again once it caught up", async () => {
    const lag = new IntakeLag({ lagMs: 20, holdMs: 60_000 });
    lag.took(100); // behind before the worker starts
    const r = await heldWorkerRig({
      name: "bound-lag",
      batches: "always",
      concurrency: BOUND,
      intakeLag: lag,
    });
    cleanup = r.close;
    const ids = [...(await r.turn("l0", 50)), ...(await r.turn("l1", 50))];
    r.start();
    await waitFor(() => r.sends.size >= BEHIND_SENDS || undefined, {
      description: "the throttled bound full",
    });
    // A Redis round trip later: had the bound been the whole BOUND, more would have started by now
    // (the sends of a taken batch start at once), and the second batch would have been taken.
    expect(await r.queue.getActiveCount()).toBe(1);
    expect(r.sends.size).toBe(BEHIND_SENDS);

    lag.took(1); // caught up
    await waitFor(() => r.sends.size >= BOUND || undefined, { description: "the whole bound in use" });
    await r.queue.getActiveCount(); // a round trip: no more than the bound start meanwhile
    expect(r.sends.size).toBe(BOUND);

    r.release();
    await waitFor(async () => (await r.queue.getCompletedCount()) === 2 || undefined, {
      timeoutMs: 20_000,
      description: "both batches completed",
    });
    expect([...r.sends.keys()].sort()).toEqual([...ids].sort());
    expect([...r.sends.values()].every((n) => n === 1)).toBe(true);
  });

  it("still runs single jobs up to the bound at once", async () => {
    const r = await heldWorkerRig({ name: "bound-singles", batches: "never", concurrency: BOUND });
    cleanup = r.close;
    const ids: string[] = [];
    for (let i = 0; i < 2 * BOUND; i++) ids.push(...(await r.turn(`s${i}`, 1)));
    r.start();
    await waitFor(() => r.sends.size >= BOUND || undefined, { description: `${BOUND} sends at once` });
    expect(await r.queue.getActiveCount()).toBe(BOUND);
    r.release();
    await waitFor(async () => (await r.queue.getCompletedCount()) === 2 * BOUND || undefined, {
      description: "every job completed",
    });
    expect([...r.sends.values()].every((n) => n === 1)).toBe(true);
  });
});
