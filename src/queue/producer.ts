/**
 * Enqueueing with upstream-derived job ids and a "seen" marker that outlives job retention, so a
 * redelivered webhook or a resent stanza is accepted once. Order matters: the job is added first
 * and marked seen after, so a crash in between can only cause a retry, never a loss.
 */
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { storeKey } from "../store/keys.js";
import { type OutboundJob, outboundJobSchema, type ToXmppJob, toXmppJobSchema } from "./jobs.js";
import { bullPrefix, outboundQueueName, toXmppQueueName } from "./names.js";

export interface ProducerOptions {
  readonly prefix: string;
  readonly outboundAttempts: number;
  readonly deliveryAttempts: number;
  readonly keepCompleted: number;
  readonly dedupTtlSeconds: number;
}

export type EnqueueOutcome = "enqueued" | "duplicate";

export class Producer {
  private readonly outbound = new Map<string, Queue>();
  private readonly toXmpp = new Map<string, Queue>();

  constructor(
    private readonly redis: Redis,
    private readonly options: ProducerOptions,
  ) {}

  async enqueueOutbound(job: OutboundJob, jobId: string): Promise<EnqueueOutcome> {
    const data = outboundJobSchema.parse(job);
    return this.addOnce(this.queue(this.outbound, outboundQueueName(data.gatewayId)), "send", data, jobId, {
      attempts: this.options.outboundAttempts,
      gatewayId: data.gatewayId,
    });
  }

  async enqueueToXmpp(gatewayId: string, job: ToXmppJob, jobId: string): Promise<EnqueueOutcome> {
    const data = toXmppJobSchema.parse(job);
    return this.addOnce(this.queue(this.toXmpp, toXmppQueueName(gatewayId)), data.kind, data, jobId, {
      attempts: this.options.deliveryAttempts,
      gatewayId,
    });
  }

  /** The queues this producer has opened, for status views and shutdown. */
  queues(): Queue[] {
    return [...this.outbound.values(), ...this.toXmpp.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.queues().map((q) => q.close()));
  }

  private queue(map: Map<string, Queue>, name: string): Queue {
    let q = map.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.redis, prefix: bullPrefix(this.options.prefix) });
      // Connection errors are logged by the Redis client's own listener; an `error` event nobody
      // listens to would throw and take the process down (seen as exit 1 during shutdown).
      q.on("error", () => {});
      map.set(name, q);
    }
    return q;
  }

  private async addOnce(
    queue: Queue,
    name: string,
    data: object,
    jobId: string,
    opts: { attempts: number; gatewayId: string },
  ): Promise<EnqueueOutcome> {
    const seenKey = storeKey(this.options.prefix, "seen", opts.gatewayId, jobId);
    if ((await this.redis.exists(seenKey)) === 1) return "duplicate";
    await queue.add(name, data, {
      jobId,
      attempts: opts.attempts,
      backoff: { type: "jittered" },
      removeOnComplete: { count: this.options.keepCompleted },
      removeOnFail: false,
    });
    await this.redis.set(seenKey, "1", "EX", this.options.dedupTtlSeconds);
    return "enqueued";
  }
}
