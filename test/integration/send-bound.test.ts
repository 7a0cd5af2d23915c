/**
 * The outbound worker takes jobs only while its send bound has room (send-bound.ts), on real
 * Redis and BullMQ: a backlog of batch jobs is taken a few ahead, not up to the
 * worker's concurrency with all their messages waiting in hand; single jobs still run up to the
 * bound at once; and every message is sent once.
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { outboundJobId } from "../../src/core/pipeline/jobs.js";
import type { OutboundResult } from "../../src/core/pipeline/send.js";
import type { JobHandle } from "../../src/core/ports.js";
import { outboundQueueName } from "../../src/queue/names.js";
import { startOutboundWorker } from "../../src/queue/outbound-worker.js";
import { Producer } from "../../src/queue/producer.js";
import { outboundJob } from "../harness/outbound-job.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";
import { silentLogger } from "../harness/silent-logger.js";
import { waitFor } from "../harness/wait.js";

const BOUND = 20;
const BATCHES = 16;

/** A producer and queue on their own prefix; sends held until `release()`, counted by job id. */
async function rig(name: string, batches: "always" | "never") {
  const prefix = uniquePrefix(name);
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
  const workerRedis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  const producer = new Producer(redis, {
    prefix,
    outboundAttempts: 3,
    deliveryAttempts: 1,
    keepCompleted: 1000,
    dedupTtlSeconds: 60,
    batches,
  });
  const queue = new Queue(outboundQueueName("sms"), { connection: redis, prefix: `{${prefix}}` });
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const sends = new Map<string, number>();
  const start = () =>
    startOutboundWorker({
      gatewayId: "sms",
      send: async (job: JobHandle): Promise<OutboundResult> => {
        sends.set(job.id, (sends.get(job.id) ?? 0) + 1);
        await held;
        return { providerMessageIds: [`SM-${job.id}`], uncertainParts: 0 };
      },
      redis: workerRedis,
      logger: silentLogger,
      prefix,
      concurrency: BOUND,
      backoffMs: 10,
      maxBackoffMs: 20,
    });
  /** Enqueues `n` messages in one turn (one batch job when batches are on); returns their ids. */
  const turn = async (tag: string, n: number) => {
    const ids = Array.from({ length: n }, (_, i) => outboundJobId("alice@localhost", `${tag}-${i}`));
    await Promise.all(ids.map((id, i) => producer.enqueueOutbound(outboundJob(`${tag}-${i}`), id)));
    return ids;
  };
  const close = async () => {
    release();
    await queue.close();
    await producer.close();
    redis.disconnect();
    workerRedis.disconnect();
  };
  return { queue, sends, start, turn, release: () => release(), close };
}

describe("the outbound worker's send bound", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it("takes a backlog of batches a few ahead, not up to its concurrency, and sends each message once", async () => {
    const r = await rig("bound-batches", "always");
    const ids: string[] = [];
    for (let b = 0; b < BATCHES; b++) ids.push(...(await r.turn(`b${b}`, 50)));
    expect(await r.queue.getWaitingCount()).toBe(BATCHES);
    const worker = r.start();
    cleanup = async () => {
      r.release();
      await worker.close();
      await r.close();
    };
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
    const r = await rig("bound-singles", "never");
    const ids: string[] = [];
    for (let i = 0; i < 2 * BOUND; i++) ids.push(...(await r.turn(`s${i}`, 1)));
    const worker = r.start();
    cleanup = async () => {
      r.release();
      await worker.close();
      await r.close();
    };
    await waitFor(() => r.sends.size >= BOUND || undefined, { description: `${BOUND} sends at once` });
    expect(await r.queue.getActiveCount()).toBe(BOUND);
    r.release();
    await waitFor(async () => (await r.queue.getCompletedCount()) === 2 * BOUND || undefined, {
      description: "every job completed",
    });
    expect([...r.sends.values()].every((n) => n === 1)).toBe(true);
  });
});
