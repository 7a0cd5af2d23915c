/**
 * Batch jobs end to end on real Redis and the real outbound worker: messages enqueued in one turn
 * travel as one job, and each one that does not succeed at its first try leaves it as a job of its
 * own under its own id (a retry with the attempt counted, a failed job that a replay runs again),
 * while the ones that succeeded are sent once, also when the batch itself must run again.
 */
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { OutboundMessage } from "../../src/core/adapter.js";
import { PermanentError, RetryableError } from "../../src/core/errors.js";
import { attemptsBefore, BATCH_JOB_NAME } from "../../src/queue/batch-job.js";
import { BatchReaders } from "../../src/queue/batch-readers.js";
import { heldWorkerRig } from "../harness/held-worker.js";
import { redisUrl } from "../harness/redis.js";
import { scriptedAdapter } from "../harness/scripted-adapter.js";
import { waitFor } from "../harness/wait.js";
import { startWorkerRig, type WorkerRig } from "../harness/worker-rig.js";

/** Answers by body: "refuse" is refused for good, "flaky" fails its first send, the rest go. */
function byBody() {
  const tries = new Map<string, number>();
  const adapter = scriptedAdapter((msg: OutboundMessage) => {
    const n = (tries.get(msg.body) ?? 0) + 1;
    tries.set(msg.body, n);
    if (msg.body === "refuse") return new PermanentError("invalid number", 21211, "item-not-found");
    if (msg.body === "flaky" && n === 1) return new RetryableError("provider busy");
    return `SM-${msg.body}-${n}`;
  });
  return { adapter, tries: (body: string) => tries.get(body) ?? 0 };
}

async function batchIds(queue: Queue): Promise<string[]> {
  const jobs = await queue.getJobs(["completed", "failed", "active", "waiting", "delayed"]);
  return jobs.filter((j) => j.name === BATCH_JOB_NAME).map((j) => j.id ?? "");
}

describe("batch jobs (real Redis, the real outbound worker)", () => {
  let rig: WorkerRig | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await rig?.stop();
    rig = undefined;
  });

  it("sends a turn's messages as one job; a refused and a flaky one each leave it as a job of their own", async () => {
    const { adapter, tries } = byBody();
    rig = await startWorkerRig({ name: "batch-split", adapter, attempts: 3, batches: "always" });
    const r = rig;
    const [okA, okB, refused, flaky] = await Promise.all(
      ["a", "b", "refuse", "flaky"].map((body, i) => r.send(`batch-${i}`, { body })),
    );
    const [batch] = await batchIds(r.outbound);
    expect(batch).toBeDefined();
    await waitFor(async () => (await r.outbound.getJob(batch ?? ""))?.returnvalue, {
      description: "the batch to complete",
    });
    const completed = await r.outbound.getJob(batch ?? "");
    expect(completed?.returnvalue).toEqual({ items: 4, split: 2 });
    // What the completed batch keeps: its messages' ids and names, not their text.
    expect(completed?.data).toEqual({
      done: true,
      items: [okA, okB, refused, flaky].map((id) => ({ id, name: "send" })),
    });

    // The refused one stands in the failed set under its own id, like a message that failed alone.
    await r.inState(refused ?? "", "failed");
    const dead = await r.outbound.getJob(refused ?? "");
    expect(dead?.failedReason).toMatch(/invalid number/);
    expect(dead?.data).toMatchObject({ body: "refuse", stanzaId: "batch-2" });
    expect(dead?.data).not.toHaveProperty("failedInBatch");
    // The flaky one was tried again as its own job, its try in the batch counted.
    await r.inState(flaky ?? "", "completed");
    const again = await r.outbound.getJob(flaky ?? "");
    expect(again?.opts.attempts).toBe(2);
    expect(attemptsBefore(again?.data)).toBe(1);
    expect(tries("flaky")).toBe(2);
    // The ones that went left nothing behind but the batch, and were sent once.
    expect(await r.outbound.getJob(okA ?? "")).toBeUndefined();
    expect(await r.outbound.getJob(okB ?? "")).toBeUndefined();
    expect([tries("a"), tries("b"), tries("refuse")]).toEqual([1, 1, 1]);

    // Run again once done (as after a crash between the end of its run and its completion): nothing is sent.
    await completed?.retry("completed");
    await waitFor(async () => (await r.outbound.getJob(batch ?? ""))?.returnvalue?.items === 0, {
      description: "the done batch to complete again",
    });
    expect([tries("a"), tries("b")]).toEqual([1, 1]);

    // A replay of the refused message runs its send again, as for any failed job.
    await dead?.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
    await waitFor(() => tries("refuse") === 2, { description: "the replayed send" });
    await r.inState(refused ?? "", "failed");
  });

  it("a batch whose split could not be confirmed runs again without its sent messages, and adds no message twice", async () => {
    const { adapter, tries } = byBody();
    rig = await startWorkerRig({ name: "batch-rerun", adapter, attempts: 3, batches: "always" });
    const r = rig;
    // The first add of the items' own jobs gets in, but its answer is lost (a Redis restart).
    const realAddBulk = Queue.prototype.addBulk;
    vi.spyOn(Queue.prototype, "addBulk").mockImplementationOnce(async function (this: Queue, jobs) {
      await realAddBulk.call(this, jobs);
      throw new Error("Connection is closed.");
    });
    const [ok, flaky] = await Promise.all(["sent", "flaky"].map((body, i) => r.send(`rerun-${i}`, { body })));
    const [batch] = await batchIds(r.outbound);
    await waitFor(async () => (await r.outbound.getJob(batch ?? ""))?.returnvalue, {
      description: "the batch to complete on its second attempt",
    });
    const done = await r.outbound.getJob(batch ?? "");
    expect(done?.attemptsStarted).toBe(2);
    // The second attempt held only the flaky message, and found its own job already there.
    expect(done?.returnvalue).toEqual({ items: 0, split: 0 });
    await r.inState(flaky ?? "", "completed");
    expect(tries("sent")).toBe(1);
    expect(tries("flaky")).toBe(2);
    expect(await r.outbound.getJob(ok ?? "")).toBeUndefined();
  });

  it("adds batch jobs only while every worker of the queue runs them: before it knows, and beside an older worker, single jobs", async () => {
    const { adapter } = byBody();
    rig = await startWorkerRig({ name: "batch-readers", adapter, attempts: 3 });
    const r = rig;
    // The producer has not yet heard from the workers: single jobs, which every version runs.
    const first = await Promise.all(["x", "y"].map((body, i) => r.send(`readers-${i}`, { body })));
    for (const id of first) expect((await r.outbound.getJob(id))?.name).toBe("send");
    // Once it has seen that the rig's worker runs them, a turn's messages go as a batch job.
    let turn = 0;
    await waitFor(
      async () => {
        turn++;
        await Promise.all(["p", "q"].map((body, i) => r.send(`readers-${turn}-${i}`, { body })));
        return (await batchIds(r.outbound)).length > 0;
      },
      { description: "a batch job once the worker is known to run them" },
    );
    // A worker of an older version (no name) joins the queue: the answer becomes "no".
    const readers = new BatchReaders();
    const ask = () => readers.refresh(r.outbound);
    expect(await ask()).toBe(true);
    const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const old = new Worker(r.outbound.name, async () => undefined, {
      connection,
      prefix: `{${r.prefix}}`,
      autorun: false,
    });
    try {
      await old.waitUntilReady();
      await waitFor(async () => (await r.outbound.getWorkers()).length > 1, {
        description: "the older worker's connection",
      });
      await waitFor(async () => !(await ask()), { description: "the answer to become no" });
    } finally {
      await old.close();
      connection.disconnect();
    }
  });

  it("a batch found stalled twice (its worker died, the next one held up) is run again, not failed with its messages unsent", async () => {
    // Every run of every message waits until released: each run of the batch stays active.
    const r = await heldWorkerRig({
      name: "batch-stalls",
      batches: "always",
      concurrency: 20,
      lock: { lockDurationMs: 400, stalledIntervalMs: 100 },
    });
    const { redis, prefix, queue } = r;
    r.start();
    try {
      await r.turn("s", 2);
      const [batch] = await batchIds(queue);
      const key = `{${prefix}}:outbound-sms:${batch}`;
      try {
        // Two stalls: each time its lock is taken away, BullMQ's stalled check moves it back and
        // counts, and the worker takes it up again.
        for (const [n, count] of ["1", "2"].entries()) {
          await waitFor(async () => r.sendCount() >= 2 * (n + 1) && (await lockHeld(redis, `${key}:lock`)), {
            description: `run ${n + 1} of the batch under way`,
          });
          await redis.del(`${key}:lock`);
          await waitFor(async () => (await redis.hget(key, "stc")) === count, {
            description: `stall ${count} counted`,
          });
        }
      } finally {
        r.release();
      }
      await waitFor(async () => (await queue.getJobState(batch ?? "")) === "completed", {
        description: "the batch to complete",
      });
      expect((await queue.getJob(batch ?? ""))?.failedReason).toBeFalsy();
    } finally {
      await r.close();
    }
  });
});

async function lockHeld(redis: Redis, key: string): Promise<boolean> {
  return (await redis.exists(key)) === 1;
}
