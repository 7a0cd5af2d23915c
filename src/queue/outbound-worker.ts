/**
 * The outbound worker: BullMQ's side of sending. It takes send jobs of one gateway and hands each
 * to the pipeline's sender (core/pipeline/send.ts: parts, the adapter, records, crash safety);
 * this file only maps a job to a JobHandle and the pipeline's verdict back to BullMQ's terms
 * (PermanentFailure -> UnrecoverableError; a RetryableError retries with backoff, Retry-After
 * honoured by retry.ts; NotYet, a number's pace, parks the job in the delayed set without counting
 * an attempt). A batch job (batch-job.ts) runs its items through the same sender, each as its own
 * job's first attempt (batch-runner.ts); one bound (`concurrency`) covers the sends of both kinds.
 */
import { DelayedError, type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { IntakeLagSignal } from "../core/intake-lag.js";
import type { Logger } from "../core/logger.js";
import type { OutboundResult } from "../core/pipeline/send.js";
import { type JobHandle, NotYet, PermanentFailure } from "../core/ports.js";
import { attemptsBefore, BATCH_JOB_NAME, type BatchItem } from "./batch-job.js";
import {
  afterFailure,
  BATCH_WORKER_OPTIONS,
  type BatchResult,
  DONE,
  failFirstPickup,
  type ItemVerdict,
  runBatch,
} from "./batch-runner.js";
import { closeWhenReady } from "./close-when-ready.js";
import { bullPrefix, outboundQueueName } from "./names.js";
import { backoffStrategy } from "./retry.js";
import { SendBound } from "./send-bound.js";

export interface OutboundWorkerOptions {
  readonly gatewayId: string;
  /** Sends one job (core/pipeline/send.ts outboundSender). */
  readonly send: (job: JobHandle) => Promise<OutboundResult>;
  /** The BullMQ worker's connection (maxRetriesPerRequest: null). */
  readonly redis: Redis;
  readonly logger: Logger;
  readonly prefix: string;
  /** Sends in flight at once, single jobs and batch items together. */
  readonly concurrency: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** BullMQ lock duration and stalled-job check interval (how soon a crashed worker's job is retried). */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  /** This process's outbound intake: while it is behind, fewer sends at once (send-bound.ts). */
  readonly intakeLag?: IntakeLagSignal;
}

/** A BullMQ job as the pipeline sees it (attempts made inside a batch counted in). */
export function jobHandle(job: Job): JobHandle {
  const before = attemptsBefore(job.data);
  return {
    id: job.id ?? "",
    data: job.data,
    attemptsMade: job.attemptsMade + before,
    attempts: (job.opts.attempts ?? 1) + before,
    keep: async (data) => {
      await job.updateData(data);
    },
  };
}

/** One item's first try: what the pipeline's verdict makes of it. */
function itemRunner(send: OutboundWorkerOptions["send"], backoff: ReturnType<typeof backoffStrategy>) {
  return async (item: BatchItem, attempts: number): Promise<ItemVerdict> => {
    let kept: object | undefined;
    const handle: JobHandle = {
      id: item.id,
      data: item.data,
      attemptsMade: 0,
      attempts,
      keep: async (data) => {
        kept = data;
      },
    };
    try {
      await send(handle);
      return DONE;
    } catch (err) {
      if (err instanceof NotYet) {
        // Its number's pace: its own job waits for the slot, no attempt counted.
        return { kind: "again", untilMs: err.untilMs, attempts, attemptsBefore: 0 };
      }
      return afterFailure(err, attempts, backoff, err instanceof PermanentFailure, kept);
    }
  };
}

export function startOutboundWorker(o: OutboundWorkerOptions): Worker {
  const log = o.logger.child({ gateway: o.gatewayId, role: "worker" });
  const name = outboundQueueName(o.gatewayId);
  const backoff = backoffStrategy({ baseMs: o.backoffMs, maxMs: o.maxBackoffMs });
  const bound = new SendBound(o.concurrency);
  const send = (handle: JobHandle) => bound.run(() => o.send(handle));
  const queue = new Queue(name, { connection: o.redis, prefix: bullPrefix(o.prefix) });
  queue.on("error", () => {});
  const runner = { queue, runItem: itemRunner(send, backoff) };
  const process = async (job: Job, token?: string): Promise<OutboundResult | BatchResult> => {
    if (job.name === BATCH_JOB_NAME) return runBatch(job, runner);
    await failFirstPickup(job);
    try {
      return await send(jobHandle(job));
    } catch (err) {
      if (err instanceof PermanentFailure) throw new UnrecoverableError(err.message);
      if (err instanceof NotYet) {
        // Its number's pace: parked in the delayed set until its slot, no attempt counted.
        await job.moveToDelayed(err.untilMs, token);
        throw new DelayedError();
      }
      throw err;
    }
  };
  const worker = new Worker(name, bound.processor(process), {
    connection: o.redis,
    prefix: bullPrefix(o.prefix),
    ...BATCH_WORKER_OPTIONS,
    concurrency: o.concurrency,
    ...(o.lockDurationMs === undefined ? {} : { lockDuration: o.lockDurationMs }),
    ...(o.stalledIntervalMs === undefined ? {} : { stalledInterval: o.stalledIntervalMs }),
    settings: { backoffStrategy: backoff },
  });
  // Takes another job only while the bound has room; no outcome once its connection ended (send-bound.ts).
  bound.keep(worker, () => o.redis.status === "end");
  const unfollow = o.intakeLag?.onChange((behind) => bound.throttle(behind));
  if (o.intakeLag?.behind) bound.throttle(true);
  worker.on("error", (err) => log.error({ err: { message: err.message } }, "outbound worker error"));
  worker.on("closed", () => {
    unfollow?.();
    void closeWhenReady(queue);
  });
  return worker;
}
