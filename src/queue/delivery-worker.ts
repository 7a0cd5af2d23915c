/**
 * The delivery worker: runs the to-xmpp queue's jobs (inbound messages, receipts, errors) through
 * the pipeline's deliverer (core/pipeline/deliver.ts), which writes them to the live component
 * connection. It runs only while the link is online, so deliveries wait in Redis while the XMPP
 * server is away and go out after the reconnect.
 *
 * A job completes only once the server proved it read the stanzas. If the stream dies first, the
 * job fails this attempt and BullMQ retries it with the same job id, hence the same stanza id.
 * A batch job (batch-job.ts) delivers its items side by side, each as its own job's first attempt
 * (batch-runner.ts): their stanzas share one write barrier, and one that is not confirmed leaves
 * the batch to be retried alone under its own id.
 */
import { type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../core/logger.js";
import { type LinkState, PermanentFailure } from "../core/ports.js";
import { BATCH_JOB_NAME, type BatchItem } from "./batch-job.js";
import {
  afterFailure,
  BATCH_WORKER_OPTIONS,
  DONE,
  failFirstPickup,
  type ItemVerdict,
  runBatch,
} from "./batch-runner.js";
import { closeWhenReady } from "./close-when-ready.js";
import { bullPrefix, toXmppQueueName } from "./names.js";
import { backoffStrategy } from "./retry.js";
import { SendBound } from "./send-bound.js";

export interface DeliveryWorkerOptions {
  readonly gatewayId: string;
  /** The XMPP stream: the worker runs while it is online. */
  readonly link: LinkState;
  /** Delivers one job (core/pipeline/deliver.ts). */
  readonly deliver: (jobId: string, data: unknown) => Promise<void>;
  /** A connection with maxRetriesPerRequest: null. */
  readonly workerRedis: Redis;
  readonly prefix: string;
  readonly logger: Logger;
  /**
   * Jobs in flight at once (default 200). Each waits for the write barrier's ping to come back
   * through the XMPP server, so this, over that round trip, bounds inbound throughput: at 20 it
   * held the bench's inbound to about 1,000 deliveries/s with the gateway a third idle.
   */
  readonly concurrency?: number;
  /** BullMQ lock duration and stalled-job check interval (how soon a crashed process's delivery is retried). */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
}

/** What the worker runs per job: a batch's items or a single delivery, one bound over both. */
function deliveryProcessor(
  o: DeliveryWorkerOptions,
  queue: Queue,
  backoff: ReturnType<typeof backoffStrategy>,
  bound: SendBound,
) {
  const deliverOne = (jobId: string, data: unknown) => bound.run(() => o.deliver(jobId, data));
  const runItem = async (item: BatchItem, attempts: number): Promise<ItemVerdict> => {
    try {
      await deliverOne(item.id, item.data);
      return DONE;
    } catch (err) {
      const verdict = afterFailure(err, attempts, backoff, err instanceof PermanentFailure);
      if (verdict.kind === "again") {
        const reason = err instanceof Error ? err.message : String(err);
        o.logger.info({ jobId: item.id, reason }, "delivery not done; it will be tried again");
      }
      return verdict;
    }
  };
  return async (job: Job): Promise<unknown> => {
    if (job.name === BATCH_JOB_NAME) return runBatch(job, { queue, runItem });
    await failFirstPickup(job);
    try {
      await deliverOne(job.id ?? "", job.data);
    } catch (err) {
      if (err instanceof PermanentFailure) throw new UnrecoverableError(err.message);
      throw err;
    }
    return undefined;
  };
}

export function startDeliveryWorker(o: DeliveryWorkerOptions): { stop(): Promise<void> } {
  const { link } = o;
  const log = o.logger;
  const backoff = backoffStrategy({ baseMs: 200, maxMs: 5000 });
  const queue = new Queue(toXmppQueueName(o.gatewayId), {
    connection: o.workerRedis,
    prefix: bullPrefix(o.prefix),
  });
  queue.on("error", () => {});
  const bound = new SendBound(o.concurrency ?? 200);
  const deliver = bound.processor(deliveryProcessor(o, queue, backoff, bound));

  const worker = new Worker(toXmppQueueName(o.gatewayId), deliver, {
    connection: o.workerRedis,
    prefix: bullPrefix(o.prefix),
    ...BATCH_WORKER_OPTIONS,
    concurrency: o.concurrency ?? 200,
    autorun: false,
    ...(o.lockDurationMs === undefined ? {} : { lockDuration: o.lockDurationMs }),
    ...(o.stalledIntervalMs === undefined ? {} : { stalledInterval: o.stalledIntervalMs }),
    settings: { backoffStrategy: backoff },
  });
  // Takes another job only while the bound has room; no outcome once its connection ended (send-bound.ts).
  bound.keep(worker, () => o.workerRedis.status === "end");
  worker.on("error", (err) => log.error({ err: { message: err.message } }, "delivery worker error"));
  worker.on("paused", () => log.debug("delivery worker paused"));
  worker.on("resumed", () => log.debug("delivery worker resumed"));
  worker.on("failed", (job, err) => {
    if (err instanceof UnrecoverableError || err.name === "UnrecoverableError")
      log.warn({ jobId: job?.id, reason: err.message }, "delivery kept in the failed set");
    // A passing failure (no link, or a write the server never confirmed): tried again, same id.
    else log.info({ jobId: job?.id, reason: err.message }, "delivery not done; it will be tried again");
  });

  let running = false;
  const onOnline = () => {
    if (!running) {
      running = true;
      worker
        .run()
        .catch((err: Error) => log.error({ err: { message: err.message } }, "delivery worker stopped"));
    } else if (worker.isPaused()) worker.resume();
  };
  const onOffline = () => {
    if (running && !worker.isPaused()) void worker.pause(true);
  };
  link.on("online", onOnline);
  link.on("offline", onOffline);
  if (link.online) onOnline();

  return {
    async stop() {
      link.off("online", onOnline);
      link.off("offline", onOffline);
      await closeWhenReady(worker);
      await closeWhenReady(queue);
    },
  };
}
