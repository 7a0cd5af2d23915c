/**
 * The outbound worker: BullMQ's side of sending. It takes send jobs of one gateway and hands each
 * to the pipeline's sender (core/pipeline/send.ts: parts, the adapter, records, crash safety);
 * this file only maps a job to a JobHandle and the pipeline's verdict back to BullMQ's terms
 * (PermanentFailure -> UnrecoverableError; a RetryableError retries with backoff, Retry-After
 * honoured by retry.ts; NotYet, a number's pace, parks the job in the delayed set without counting
 * an attempt).
 */
import { DelayedError, type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../core/logger.js";
import type { OutboundResult } from "../core/pipeline/send.js";
import { type JobHandle, NotYet, PermanentFailure } from "../core/ports.js";
import { bullPrefix, outboundQueueName } from "./names.js";
import { backoffStrategy } from "./retry.js";

export interface OutboundWorkerOptions {
  readonly gatewayId: string;
  /** Sends one job (core/pipeline/send.ts outboundSender). */
  readonly send: (job: JobHandle) => Promise<OutboundResult>;
  /** The BullMQ worker's connection (maxRetriesPerRequest: null). */
  readonly redis: Redis;
  readonly logger: Logger;
  readonly prefix: string;
  readonly concurrency: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** BullMQ lock duration and stalled-job check interval (how soon a crashed worker's job is retried). */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
}

/** A BullMQ job as the pipeline sees it. */
export function jobHandle(job: Job): JobHandle {
  return {
    id: job.id ?? "",
    data: job.data,
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    keep: async (data) => {
      await job.updateData(data);
    },
  };
}

export function startOutboundWorker(o: OutboundWorkerOptions): Worker {
  const log = o.logger.child({ gateway: o.gatewayId, role: "worker" });
  const process = async (job: Job, token?: string): Promise<OutboundResult> => {
    try {
      return await o.send(jobHandle(job));
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
  const worker = new Worker(outboundQueueName(o.gatewayId), process, {
    connection: o.redis,
    prefix: bullPrefix(o.prefix),
    concurrency: o.concurrency,
    ...(o.lockDurationMs === undefined ? {} : { lockDuration: o.lockDurationMs }),
    ...(o.stalledIntervalMs === undefined ? {} : { stalledInterval: o.stalledIntervalMs }),
    settings: { backoffStrategy: backoffStrategy({ baseMs: o.backoffMs, maxMs: o.maxBackoffMs }) },
  });
  worker.on("error", (err) => log.error({ err: { message: err.message } }, "outbound worker error"));
  return worker;
}
