/**
 * The worker role of one gateway: the outbound worker (queue/outbound-worker.ts) running the
 * pipeline's sender (core/pipeline/send.ts) on stores main.ts built.
 */
import type { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { IntakeLagSignal } from "../core/intake-lag.js";
import { outboundSender, type SendOptions } from "../core/pipeline/send.js";
import { startOutboundWorker } from "../queue/outbound-worker.js";

export interface WorkerPieces extends SendOptions {
  /** The BullMQ worker's connection (maxRetriesPerRequest: null). */
  readonly workerRedis: Redis;
  readonly prefix: string;
  readonly concurrency: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  /** This process's outbound intake, when the component role runs here too. */
  readonly intakeLag?: IntakeLagSignal;
}

export function startWorker(p: WorkerPieces): Worker {
  return startOutboundWorker({
    gatewayId: p.gatewayId,
    send: outboundSender(p),
    redis: p.workerRedis,
    logger: p.logger,
    prefix: p.prefix,
    concurrency: p.concurrency,
    backoffMs: p.backoffMs,
    maxBackoffMs: p.maxBackoffMs,
    ...(p.lockDurationMs === undefined ? {} : { lockDurationMs: p.lockDurationMs }),
    ...(p.stalledIntervalMs === undefined ? {} : { stalledIntervalMs: p.stalledIntervalMs }),
    ...(p.intakeLag === undefined ? {} : { intakeLag: p.intakeLag }),
  });
}
