/**
 * The outbound worker takes jobs only while its send bound has room (send-bound.ts), on real
 * Redis and BullMQ: a backlog of batch jobs is taken a few ahead, not up to the worker's
 * concurrency with all their messages waiting in hand; single jobs still run up to the bound at
 * once; and every message is sent once.
 */
import { afterEach, describe, expect, it } from "vitest";
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
