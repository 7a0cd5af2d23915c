/**
 * The producer against real Redis: enqueues asked for together go out as one batch, each caller
 * still gets its own answer, and the seen marker outlives the job.
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { outboundJobId } from "../../src/core/pipeline/jobs.js";
import { EnqueueUncertainError } from "../../src/core/ports.js";
import { Producer } from "../../src/queue/producer.js";
import { outboundJob } from "../harness/outbound-job.js";
import { freePort } from "../harness/ports.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";
import { withTimeout } from "../harness/wait.js";

const id = (n: number) => outboundJobId("alice@localhost", `s${n}`);
const job = (n: number) => outboundJob(`s${n}`, { body: `hello ${n}` });

describe("Producer (batched enqueues, real Redis)", () => {
  let redis: Redis;
  let producer: Producer;
  let queue: Queue;
  const prefix = uniquePrefix("producer");

  beforeAll(() => {
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
    producer = new Producer(redis, {
      prefix,
      outboundAttempts: 3,
      deliveryAttempts: 3,
      keepCompleted: 10,
      dedupTtlSeconds: 3600,
    });
    queue = new Queue("outbound-sms", { connection: redis, prefix: `{${prefix}}` });
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await queue.close();
    await producer.close();
    redis.disconnect();
  });

  it("sends the enqueues of one turn as one addBulk and answers each caller", async () => {
    const addBulk = vi.spyOn(Queue.prototype, "addBulk");
    const outcomes = await Promise.all(
      Array.from({ length: 120 }, (_, i) => producer.enqueueOutbound(job(i), id(i))),
    );
    expect(outcomes).toEqual(Array(120).fill("enqueued"));
    expect(addBulk).toHaveBeenCalledTimes(1);
    expect(await queue.getWaitingCount()).toBe(120);
    const stored = await queue.getJob(id(7));
    expect(stored?.data).toMatchObject({ body: "hello 7", stanzaId: "s7" });
    expect(stored?.opts.attempts).toBe(3);
    addBulk.mockRestore();
  });

  it("answers 'duplicate' for an id seen before, and for the second of one id in the same batch", async () => {
    const [a, b] = await Promise.all([
      producer.enqueueOutbound(job(500), id(500)),
      producer.enqueueOutbound(job(500), id(500)),
    ]);
    expect([a, b]).toEqual(["enqueued", "duplicate"]);
    expect(await producer.enqueueOutbound(job(7), id(7))).toBe("duplicate");
  });

  it("keeps refusing an id after its job is gone from the queue (the marker outlives retention)", async () => {
    expect(await producer.enqueueOutbound(job(600), id(600))).toBe("enqueued");
    await (await queue.getJob(id(600)))?.remove();
    expect(await queue.getJob(id(600))).toBeUndefined();
    expect(await producer.enqueueOutbound(job(600), id(600))).toBe("duplicate");
    expect(await queue.getJob(id(600))).toBeUndefined();
  });

  it("checks for a duplicate while the caller's gate is pending, adds only once it passes, and adds nothing for a failed gate", async () => {
    const pipelines = vi.spyOn(redis, "pipeline");
    let pass: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      pass = resolve;
    });
    const refused = new Error("over the limit");
    const passing = producer.enqueueOutbound(job(900), id(900), gate);
    const failing = producer.enqueueOutbound(job(901), id(901), Promise.reject(refused)).then(
      (outcome) => outcome,
      (err: unknown) => err,
    );
    const duplicate = producer.enqueueOutbound(job(7), id(7), new Promise<void>(() => {}));
    // The seen check went out with the gate still pending: a duplicate is answered without it.
    expect(await withTimeout(duplicate, 2_000, "duplicate answered")).toBe("duplicate");
    expect(pipelines).toHaveBeenCalled();
    expect(await queue.getJob(id(900))).toBeUndefined();
    pass();
    expect(await withTimeout(passing, 2_000, "gated enqueue")).toBe("enqueued");
    expect(await failing).toBe(refused);
    expect(await queue.getJob(id(900))).toBeDefined();
    expect(await queue.getJob(id(901))).toBeUndefined();
    pipelines.mockRestore();
  });

  it("isolates an entry BullMQ refuses: the rest of its batch still gets in", async () => {
    const [good, bad] = await Promise.allSettled([
      producer.enqueueOutbound(job(700), id(700)),
      producer.enqueueOutbound(job(701), "has:colon"),
    ]);
    expect(good).toEqual({ status: "fulfilled", value: "enqueued" });
    expect(bad.status).toBe("rejected");
    expect(await queue.getJob(id(700))).toBeDefined();
  });

  it("answers 'enqueued' (and says so to the operator) when the job got in but its marker could not be written", async () => {
    // A Redis user that may do everything but SET: the marker write fails, the add does not.
    const user = `xgw-nomark-${prefix.replace(/[^a-z0-9]/gi, "")}`;
    await redis.call("ACL", "SETUSER", user, "on", ">pw", "~*", "&*", "+@all", "-set");
    const noMarks = new Redis(redisUrl(), { username: user, password: "pw", maxRetriesPerRequest: 1 });
    const failures: Error[] = [];
    const p = new Producer(redis, {
      prefix,
      store: noMarks,
      outboundAttempts: 1,
      deliveryAttempts: 1,
      keepCompleted: 10,
      dedupTtlSeconds: 60,
      onSeenMarkerFailed: (err) => failures.push(err),
    });
    try {
      expect(await p.enqueueOutbound(job(800), id(800))).toBe("enqueued");
      await p.close(); // waits for the marker write
      expect(failures.map((e) => e.message).join()).toMatch(/NOPERM/);
      expect(await queue.getJob(id(800))).toBeDefined();
    } finally {
      noMarks.disconnect();
      await redis.call("ACL", "DELUSER", user);
    }
  });

  it("rejects every caller of a batch when Redis cannot be reached (nothing hangs)", async () => {
    const dead = new Redis({
      port: await freePort(),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const p = new Producer(dead, {
      prefix,
      outboundAttempts: 1,
      deliveryAttempts: 1,
      keepCompleted: 1,
      dedupTtlSeconds: 60,
    });
    const results = await withTimeout(
      Promise.allSettled([1, 2, 3].map((i) => p.enqueueOutbound(job(900 + i), id(900 + i)))),
      5_000,
      "the batch to be answered",
    );
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    dead.disconnect();
  });

  describe("when Redis drops the connection during an add", () => {
    /** An error as ioredis rejects a command with: `name` says which (see producer.ts). */
    const redisError = (name: "AbortError" | "MaxRetriesPerRequestError") =>
      Object.assign(
        new Error(name === "AbortError" ? "Command aborted due to connection close" : "max retries"),
        {
          name,
        },
      );

    it("finds the job Redis stored although the answer was lost, instead of refusing it", async () => {
      const realAddBulk = Queue.prototype.addBulk;
      vi.spyOn(Queue.prototype, "addBulk").mockImplementationOnce(async function (this: Queue, jobs) {
        await realAddBulk.call(this, jobs);
        throw redisError("AbortError");
      });
      // Redis is still down for the first repeat (never written), answers the second.
      vi.spyOn(Queue.prototype, "add")
        .mockRejectedValueOnce(redisError("MaxRetriesPerRequestError"))
        .mockRejectedValueOnce(redisError("MaxRetriesPerRequestError"));
      try {
        expect(await producer.enqueueOutbound(job(1000), id(1000))).toBe("enqueued");
        expect((await queue.getJob(id(1000)))?.data).toMatchObject({ body: "hello 1000" });
        expect(await queue.getJobCountByTypes("waiting")).toBeGreaterThan(0);
      } finally {
        vi.restoreAllMocks();
      }
    });

    it("refuses, within the bound, when no attempt can have reached Redis (the job is known absent)", async () => {
      const p = new Producer(redis, {
        prefix,
        outboundAttempts: 1,
        deliveryAttempts: 1,
        keepCompleted: 1,
        dedupTtlSeconds: 60,
        confirmWithinMs: 300,
      });
      vi.spyOn(Queue.prototype, "addBulk").mockRejectedValue(redisError("MaxRetriesPerRequestError"));
      vi.spyOn(Queue.prototype, "add").mockRejectedValue(redisError("MaxRetriesPerRequestError"));
      try {
        const outcome = await withTimeout(
          p.enqueueOutbound(job(1001), id(1001)).then(
            () => "enqueued",
            (e: Error) => e,
          ),
          5_000,
          "the answer",
        );
        expect(outcome).toBeInstanceOf(Error);
        expect(outcome).not.toBeInstanceOf(EnqueueUncertainError);
        expect((outcome as Error).name).toBe("MaxRetriesPerRequestError");
      } finally {
        vi.restoreAllMocks();
        await p.close();
      }
      expect(await queue.getJob(id(1001))).toBeUndefined();
    });

    it("says the outcome is uncertain, not 'refused', when an attempt may have reached Redis and it never answered", async () => {
      const p = new Producer(redis, {
        prefix,
        outboundAttempts: 1,
        deliveryAttempts: 1,
        keepCompleted: 1,
        dedupTtlSeconds: 60,
        confirmWithinMs: 300,
      });
      vi.spyOn(Queue.prototype, "addBulk").mockRejectedValue(redisError("AbortError"));
      vi.spyOn(Queue.prototype, "add").mockRejectedValue(redisError("MaxRetriesPerRequestError"));
      try {
        const outcome = await withTimeout(
          p.enqueueOutbound(job(1002), id(1002)).then(
            () => "enqueued",
            (e: Error) => e,
          ),
          5_000,
          "the answer",
        );
        expect(outcome).toBeInstanceOf(EnqueueUncertainError);
      } finally {
        vi.restoreAllMocks();
        await p.close();
      }
    });
  });
});
