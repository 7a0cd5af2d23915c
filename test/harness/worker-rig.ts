/**
 * An outbound worker on the local Redis (its own prefix) with a given adapter, a producer and the
 * queues to look at: for tests of what failed jobs keep and what senders are told.
 */
import { Queue, type Worker } from "bullmq";
import { Redis } from "ioredis";
import type { NetworkAdapter } from "../../src/core/adapter.js";
import type { Logger } from "../../src/core/logger.js";
import { type OutboundJob, outboundJobId } from "../../src/core/pipeline/jobs.js";
import { bullPrefix, outboundQueueName, toXmppQueueName } from "../../src/queue/names.js";
import { Producer } from "../../src/queue/producer.js";
import { MessageMap } from "../../src/store/message-map.js";
import { OptOutStore } from "../../src/store/optouts.js";
import { outboundJob } from "./outbound-job.js";
import { startOutboundWorker } from "./outbound-worker.js";
import { redisUrl, uniquePrefix } from "./redis.js";
import { waitFor } from "./wait.js";

export interface WorkerRig {
  readonly prefix: string;
  readonly redis: Redis;
  readonly producer: Producer;
  readonly outbound: Queue;
  readonly toXmpp: Queue;
  readonly optOuts: OptOutStore;
  /** Every warn/error line: message and the fields logged with it, as JSON. */
  readonly logLines: string[];
  /** Enqueues a job from alice (+15550001111) and returns its id. */
  send(stanzaId: string, fields?: Partial<OutboundJob>): Promise<string>;
  /** Waits until the job is in `state`. */
  inState(id: string, state: "failed" | "completed", timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorkerRig(o: {
  name: string;
  adapter: NetworkAdapter;
  attempts: number;
  keepFailed?: { ageSeconds: number; count: number };
  batches?: "when-workers-can" | "always" | "never";
  /** The worker's lock duration and stalled check (short ones make a stalled job quick to see). */
  lock?: { lockDurationMs: number; stalledIntervalMs: number };
}): Promise<WorkerRig> {
  const prefix = uniquePrefix(o.name);
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
  const workerRedis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  const producer = new Producer(redis, {
    prefix,
    outboundAttempts: o.attempts,
    deliveryAttempts: 1,
    keepCompleted: 100,
    dedupTtlSeconds: 3600,
    ...(o.keepFailed ? { keepFailed: o.keepFailed } : {}),
    ...(o.batches ? { batches: o.batches } : {}),
  });
  const logLines: string[] = [];
  const line = (a: unknown, b?: unknown) =>
    void logLines.push(typeof a === "string" ? a : `${String(b)} ${JSON.stringify(a)}`);
  const logger: Logger = {
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: line,
    error: line,
    fatal: () => undefined,
    child: () => logger,
  };
  const optOuts = new OptOutStore(workerRedis, prefix, 3600);
  const worker: Worker = startOutboundWorker({
    gatewayId: "sms",
    adapter: o.adapter,
    redis: workerRedis,
    producer,
    logger,
    prefix,
    concurrency: 20,
    backoffMs: 10,
    maxBackoffMs: 20,
    dedupTtlSeconds: 3600,
    caps: { maxBodyLength: 4800, maxParts: 3, maxSegments: 40 },
    messageMap: new MessageMap(workerRedis, prefix, 3600),
    optOuts,
    longMessages: "split",
    corrections: "send",
    ...o.lock,
  });
  const outbound = new Queue(outboundQueueName("sms"), { connection: redis, prefix: bullPrefix(prefix) });
  const toXmpp = new Queue(toXmppQueueName("sms"), { connection: redis, prefix: bullPrefix(prefix) });
  return {
    prefix,
    redis,
    producer,
    outbound,
    toXmpp,
    optOuts,
    logLines,
    async send(stanzaId, fields = {}) {
      const id = outboundJobId("alice@localhost", stanzaId);
      await producer.enqueueOutbound(outboundJob(stanzaId, fields), id);
      return id;
    },
    async inState(id, state, timeoutMs = 20_000) {
      await waitFor(async () => (await (await outbound.getJob(id))?.getState()) === state, {
        timeoutMs,
        description: `job ${id} to be ${state}`,
      });
    },
    async stop() {
      await worker.close();
      await outbound.close();
      await toXmpp.close();
      await producer.close();
      redis.disconnect();
      workerRedis.disconnect();
    },
  };
}
