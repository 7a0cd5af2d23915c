/**
 * The producer against real Redis: enqueues asked for together go out as one batch, each caller
 * still gets its own answer, and the seen marker outlives the job.
 */
import { Job, Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { outboundJobId } from "../../src/core/pipeline/jobs.js";
import { EnqueueUncertainError } from "../../src/core/ports.js";
import { BATCH_JOB_NAME, batchDataSchema } from "../../src/queue/batch-job.js";
import { Producer, type ProducerOptions } from "../../src/queue/producer.js";
import { SeenMarkers } from "../../src/queue/seen-markers.js";
import { outboundJob } from "../harness/outbound-job.js";
import { freePort } from "../harness/ports.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";
import { waitFor, withTimeout } from "../harness/wait.js";

const id = (n: number) => outboundJobId("alice@localhost", `s${n}`);
const job = (n: number) => outboundJob(`s${n}`, { body: `hello ${n}` });

describe("Producer (batched enqueues, real Redis)", () => {
  let redis: Redis;
  let producer: Producer;
  let queue: Queue;
  const prefix = uniquePrefix("producer");
  // No worker runs here to say it runs batch jobs: the batch path is asked for outright.
  const newProducer = (o: Partial<ProducerOptions> = {}) =>
    new Producer(redis, {
      prefix,
      outboundAttempts: 3,
      deliveryAttempts: 3,
      keepCompleted: 10,
      dedupTtlSeconds: 3600,
      batches: "always",
      ...o,
    });
  /** A producer that gives up on an unanswered add after 300 ms. */
  const impatient = () =>
    newProducer({
      outboundAttempts: 1,
      deliveryAttempts: 1,
      keepCompleted: 1,
      dedupTtlSeconds: 60,
      confirmWithinMs: 300,
    });

  beforeAll(() => {
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
    producer = newProducer();
    queue = new Queue("outbound-sms", { connection: redis, prefix: `{${prefix}}` });
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await queue.close();
    await producer.close();
    redis.disconnect();
  });

  it("sends the enqueues of one turn as batch jobs of at most 100, with their markers, and answers each caller", async () => {
    const claims = vi.spyOn(SeenMarkers.prototype, "claim");
    const outcomes = await Promise.all(
      Array.from({ length: 120 }, (_, i) => producer.enqueueOutbound(job(i), id(i))),
    );
    expect(outcomes).toEqual(Array(120).fill("enqueued"));
    // One claim of every id, then two batch jobs (100 and 20 items), not 120 jobs.
    expect(claims).toHaveBeenCalledTimes(1);
    const waiting = await queue.getWaiting();
    expect(waiting.map((j) => j.name)).toEqual([BATCH_JOB_NAME, BATCH_JOB_NAME]);
    const items = waiting.flatMap((j) => batchDataSchema.parse(j.data).items);
    expect(items.map((i) => i.id).sort()).toEqual(Array.from({ length: 120 }, (_, i) => id(i)).sort());
    expect(items.find((i) => i.id === id(7))).toMatchObject({
      name: "send",
      data: { body: "hello 7", stanzaId: "s7" },
    });
    expect(waiting[0]?.opts.attempts).toBe(3);
    // Marked in the transaction that added them: "1", with the dedup life.
    const marker = `{${prefix}}:seen:sms:${id(7)}`;
    expect(await redis.get(marker)).toBe("1");
    expect(await redis.ttl(marker)).toBeGreaterThan(3000);
    claims.mockRestore();
  });

  it("adds a plain job under the message's own id when a turn has one message for a queue", async () => {
    expect(await producer.enqueueOutbound(job(300), id(300))).toBe("enqueued");
    const stored = await queue.getJob(id(300));
    expect(stored?.name).toBe("send");
    expect(stored?.data).toMatchObject({ body: "hello 300" });
    expect(await redis.get(`{${prefix}}:seen:sms:${id(300)}`)).toBe("1");
  });

  it("answers 'duplicate' for an id seen before, and for the second of one id in the same batch", async () => {
    const [a, b] = await Promise.all([
      producer.enqueueOutbound(job(500), id(500)),
      producer.enqueueOutbound(job(500), id(500)),
    ]);
    expect([a, b]).toEqual(["enqueued", "duplicate"]);
    // id(7) went in inside a batch job: its marker answers for it.
    expect(await producer.enqueueOutbound(job(7), id(7))).toBe("duplicate");
  });

  it("never adds one id twice when two producers (two processes) are given it at the same moment", async () => {
    const other = newProducer();
    try {
      const ids = [400, 401, 402, 403];
      const outcomes = await Promise.all([
        ...ids.map((n) => producer.enqueueOutbound(job(n), id(n))),
        ...ids.map((n) => other.enqueueOutbound(job(n), id(n))),
      ]);
      // Each id: once enqueued, once a duplicate (the second producer waited for the first's claim).
      for (const [i] of ids.entries()) {
        expect([outcomes[i], outcomes[i + ids.length]].sort()).toEqual(["duplicate", "enqueued"]);
      }
      const all = [...(await queue.getWaiting()), ...(await queue.getDelayed())];
      const stored = all.flatMap((j) =>
        j.name === BATCH_JOB_NAME ? batchDataSchema.parse(j.data).items.map((i) => i.id) : [j.id],
      );
      for (const n of ids) expect(stored.filter((s) => s === id(n))).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it("asks again for an id another producer claimed, and enqueues it once that claim is released", async () => {
    const key = `{${prefix}}:seen:sms:${id(450)}`;
    await redis.set(key, "claimed", "PX", 60_000);
    const claims = vi.spyOn(SeenMarkers.prototype, "claim");
    const answer = producer.enqueueOutbound(job(450), id(450));
    await waitFor(() => claims.mock.calls.length >= 3, { description: "the claim asked again" });
    expect(await queue.getJob(id(450))).toBeUndefined();
    claims.mockRestore();
    await redis.del(key);
    expect(await withTimeout(answer, 3_000, "the enqueue after the release")).toBe("enqueued");
    expect(await queue.getJob(id(450))).toBeDefined();
  });

  it("keeps refusing an id after its job is gone from the queue (the marker outlives retention)", async () => {
    expect(await producer.enqueueOutbound(job(600), id(600))).toBe("enqueued");
    await (await queue.getJob(id(600)))?.remove();
    expect(await queue.getJob(id(600))).toBeUndefined();
    expect(await producer.enqueueOutbound(job(600), id(600))).toBe("duplicate");
    expect(await queue.getJob(id(600))).toBeUndefined();
  });

  it("checks for a duplicate while the caller's gate is pending, adds only once it passes, and adds nothing for a failed gate", async () => {
    const claims = vi.spyOn(SeenMarkers.prototype, "claim");
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
    expect(claims).toHaveBeenCalled();
    expect(await queue.getJob(id(900))).toBeUndefined();
    pass();
    expect(await withTimeout(passing, 2_000, "gated enqueue")).toBe("enqueued");
    expect(await failing).toBe(refused);
    expect(await queue.getJob(id(900))).toBeDefined();
    expect(await queue.getJob(id(901))).toBeUndefined();
    // The failed gate's claim was released: the same id may be enqueued once the sender may send.
    expect(await redis.get(`{${prefix}}:seen:sms:${id(901)}`)).toBeNull();
    claims.mockRestore();
  });

  it("holds the turns that come while a flush is on its way, and sends them as one batch job", async () => {
    let pass: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      pass = resolve;
    });
    const first = producer.enqueueOutbound(job(2000), id(2000), gate);
    const later: Promise<unknown>[] = [];
    // Two more turns, each with three enqueues, while the first turn's flush waits at its gate.
    for (const turn of [0, 1]) {
      await new Promise((resolve) => setImmediate(resolve));
      for (let k = 1; k <= 3; k++)
        later.push(producer.enqueueOutbound(job(2000 + turn * 3 + k), id(2000 + turn * 3 + k)));
    }
    pass();
    expect(await withTimeout(Promise.all([first, ...later]), 2_000, "held enqueues")).toEqual(
      Array(7).fill("enqueued"),
    );
    const batches = (await queue.getWaiting()).filter((j) => j.name === BATCH_JOB_NAME);
    const holding = batches.filter((j) => batchDataSchema.parse(j.data).items.some((i) => i.id === id(2001)));
    expect(holding).toHaveLength(1);
    const ids = holding.flatMap((j) => batchDataSchema.parse(j.data).items.map((i) => i.id));
    expect(ids.sort()).toEqual([2001, 2002, 2003, 2004, 2005, 2006].map(id).sort());
  });

  it("holds them for a moment only: a flush that never gets its answer does not keep the next one back", async () => {
    void producer.enqueueOutbound(job(2100), id(2100), new Promise<void>(() => {}));
    await new Promise((resolve) => setImmediate(resolve));
    const next = producer.enqueueOutbound(job(2101), id(2101));
    expect(await withTimeout(next, 2_000, "an enqueue behind a stuck flush")).toBe("enqueued");
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
    const failures: Error[] = [];
    const p = newProducer({ onSeenMarkerFailed: (err) => failures.push(err) });
    vi.spyOn(SeenMarkers.prototype, "mark").mockRejectedValueOnce(new Error("NOPERM no SET for you"));
    try {
      expect(await p.enqueueOutbound(job(800), id(800))).toBe("enqueued");
      await p.close(); // waits for the marker write
      expect(failures.map((e) => e.message).join()).toMatch(/NOPERM/);
      expect(await queue.getJob(id(800))).toBeDefined();
      // The claim stands in for the marker until it runs out; then BullMQ's own id check does.
      expect(await redis.get(`{${prefix}}:seen:sms:${id(800)}`)).toBe("claimed");
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("adds a batch BullMQ refuses as single jobs, so one bad entry cannot sink the rest", async () => {
    vi.spyOn(Job.prototype, "addJob").mockImplementationOnce(() => {
      throw new Error("The size of job batch exceeds the limit");
    });
    try {
      const outcomes = await Promise.all([820, 821, 822].map((n) => producer.enqueueOutbound(job(n), id(n))));
      expect(outcomes).toEqual(["enqueued", "enqueued", "enqueued"]);
      for (const n of [820, 821, 822]) expect((await queue.getJob(id(n)))?.name).toBe("send");
    } finally {
      vi.restoreAllMocks();
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
      const realAdd = Queue.prototype.add;
      vi.spyOn(Queue.prototype, "add")
        .mockImplementationOnce(async function (this: Queue, name, data, opts) {
          await realAdd.call(this, name, data, opts);
          throw redisError("AbortError");
        })
        // Redis is still down for the first repeat (never written), answers the second.
        .mockRejectedValueOnce(redisError("MaxRetriesPerRequestError"))
        .mockRejectedValueOnce(redisError("MaxRetriesPerRequestError"));
      try {
        expect(await producer.enqueueOutbound(job(1000), id(1000))).toBe("enqueued");
        expect((await queue.getJob(id(1000)))?.data).toMatchObject({ body: "hello 1000" });
      } finally {
        vi.restoreAllMocks();
      }
    });

    it("finds the batch Redis stored although the answer was lost: one batch job, not two", async () => {
      const realMulti = Redis.prototype.multi;
      let lose = true;
      vi.spyOn(Redis.prototype, "multi").mockImplementation(function (this: Redis, commands?: unknown[][]) {
        const multi = realMulti.call(this, commands);
        const realExec = multi.exec.bind(multi);
        multi.exec = async () => {
          const replies = await realExec();
          if (!lose) return replies;
          lose = false;
          throw redisError("AbortError");
        };
        return multi;
      });
      try {
        const outcomes = await Promise.all([1010, 1011].map((n) => producer.enqueueOutbound(job(n), id(n))));
        expect(outcomes).toEqual(["enqueued", "enqueued"]);
        const batches = (await queue.getWaiting()).filter(
          (j) =>
            j.name === BATCH_JOB_NAME && batchDataSchema.parse(j.data).items.some((i) => i.id === id(1010)),
        );
        expect(batches).toHaveLength(1);
        expect(lose).toBe(false);
      } finally {
        vi.restoreAllMocks();
      }
    });

    it("refuses, within the bound, when no attempt can have reached Redis (the job is known absent)", async () => {
      const p = impatient();
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
      const p = impatient();
      vi.spyOn(Queue.prototype, "add")
        .mockRejectedValueOnce(redisError("AbortError"))
        .mockRejectedValue(redisError("MaxRetriesPerRequestError"));
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
