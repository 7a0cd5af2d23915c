/**
 * The real outbound worker on the local Redis (its own prefix) with a send that is held until the
 * test releases it and counts each job id it was given: for tests of what the worker holds, takes
 * and runs again while its sends wait.
 */
import { Queue, type Worker } from "bullmq";
import { Redis } from "ioredis";
import type { IntakeLagSignal } from "../../src/core/intake-lag.js";
import { outboundJobId } from "../../src/core/pipeline/jobs.js";
import type { OutboundResult } from "../../src/core/pipeline/send.js";
import type { JobHandle } from "../../src/core/ports.js";
import { bullPrefix, outboundQueueName } from "../../src/queue/names.js";
import { startOutboundWorker } from "../../src/queue/outbound-worker.js";
import { Producer } from "../../src/queue/producer.js";
import { outboundJob } from "./outbound-job.js";
import { redisUrl, uniquePrefix } from "./redis.js";
import { silentLogger } from "./silent-logger.js";

export interface HeldWorkerRig {
  readonly prefix: string;
  readonly redis: Redis;
  /** The worker's own connection. */
  readonly workerRedis: Redis;
  readonly queue: Queue;
  /** Sends asked of the worker, by job id (a run again counts again). */
  readonly sends: Map<string, number>;
  /** All sends asked so far. */
  sendCount(): number;
  /** Starts the worker (after the test has queued what it needs). */
  start(): Worker;
  /** Enqueues `n` messages in one turn (one batch job when batches are on); returns their ids. */
  turn(tag: string, n: number): Promise<string[]>;
  /** Lets every send held so far, and every later one, go. */
  release(): void;
  /** Releases the sends, closes the worker when started, and everything else. */
  close(): Promise<void>;
}

export async function heldWorkerRig(o: {
  name: string;
  batches: "always" | "never";
  concurrency: number;
  /** The worker's lock duration and stalled check (short ones make a stalled job quick to see). */
  lock?: { lockDurationMs: number; stalledIntervalMs: number };
  /** An outbound intake's lag for the worker to follow. */
  intakeLag?: IntakeLagSignal;
}): Promise<HeldWorkerRig> {
  const prefix = uniquePrefix(o.name);
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
  const workerRedis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  const producer = new Producer(redis, {
    prefix,
    outboundAttempts: 3,
    deliveryAttempts: 1,
    keepCompleted: 1000,
    dedupTtlSeconds: 60,
    batches: o.batches,
  });
  const queue = new Queue(outboundQueueName("sms"), { connection: redis, prefix: bullPrefix(prefix) });
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const sends = new Map<string, number>();
  let worker: Worker | undefined;
  const send = async (job: JobHandle): Promise<OutboundResult> => {
    sends.set(job.id, (sends.get(job.id) ?? 0) + 1);
    await held;
    return { providerMessageIds: [`SM-${job.id}`], uncertainParts: 0 };
  };
  const start = () => {
    worker = startOutboundWorker({
      gatewayId: "sms",
      send,
      redis: workerRedis,
      logger: silentLogger,
      prefix,
      concurrency: o.concurrency,
      backoffMs: 10,
      maxBackoffMs: 20,
      ...o.lock,
      ...(o.intakeLag === undefined ? {} : { intakeLag: o.intakeLag }),
    });
    return worker;
  };
  const turn = async (tag: string, n: number) => {
    const ids = Array.from({ length: n }, (_, i) => outboundJobId("alice@localhost", `${tag}-${i}`));
    await Promise.all(ids.map((id, i) => producer.enqueueOutbound(outboundJob(`${tag}-${i}`), id)));
    return ids;
  };
  const close = async () => {
    release();
    await worker?.close();
    await queue.close();
    await producer.close();
    redis.disconnect();
    workerRedis.disconnect();
  };
  const sendCount = () => [...sends.values()].reduce((a, n) => a + n, 0);
  return {
    prefix,
    redis,
    workerRedis,
    queue,
    sends,
    sendCount,
    start,
    turn,
    release: () => release(),
    close,
  };
}
