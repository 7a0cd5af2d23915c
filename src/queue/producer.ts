/**
 * Enqueueing with upstream-derived job ids and a "seen" marker that outlives job retention, so a
 * redelivered webhook or a resent stanza is accepted once. Order matters: the job is added first
 * and marked seen after, so a crash in between can only cause a retry, never a loss. Callers are
 * answered once the job exists; the marker is written right after, off their path.
 *
 * Enqueues are batched: everything asked for in one turn of the event loop (the stanzas of one
 * socket read, the webhooks that arrived together) goes to Redis as one pipeline of seen checks,
 * one `addBulk` per queue and one pipeline of seen markers, instead of three round trips each.
 * Callers still get one answer per job.
 *
 * When Redis drops the connection while an add is on its way, the add may or may not have been
 * applied. The add is idempotent by job id, so it is repeated until Redis answers (or
 * `confirmWithinMs` runs out): a caller is refused only when no attempt can have reached Redis.
 * What ioredis does (main.ts gives the intake connection maxRetriesPerRequest 3):
 * - a command issued while the connection is down waits in the offline queue and is rejected with
 *   MaxRetriesPerRequestError after 4 failed reconnects: it was never written, so never applied;
 * - a command written before the connection closed, with no answer, is kept and written again
 *   after the reconnect (autoResendUnfulfilledCommands): its promise waits, possibly for ever,
 *   so each attempt is bounded by the deadline, after which its fate is unknown;
 * - a pipeline or MULTI partly answered is rejected with AbortError: the rest may have run.
 * An uncertain outcome is EnqueueUncertainError, never a plain "try again later".
 */
import { type JobsOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { storeKey } from "../core/key-names.js";
import {
  type OutboundJob,
  outboundJobSchema,
  type ToXmppJob,
  toXmppJobSchema,
} from "../core/pipeline/jobs.js";
import { type Enqueue, type EnqueueOutcome, EnqueueUncertainError } from "../core/ports.js";
import { bullPrefix, outboundQueueName, toXmppQueueName } from "./names.js";
import { DeadlinePassed, isConnectionError, mayHaveApplied, within } from "./redis-outcome.js";

export interface ProducerOptions {
  readonly prefix: string;
  readonly outboundAttempts: number;
  readonly deliveryAttempts: number;
  readonly keepCompleted: number;
  readonly dedupTtlSeconds: number;
  /**
   * The connection for the seen markers; default the queues' connection. Better one BullMQ does
   * not use: ioredis copies every script defined on a connection into each pipeline made from it.
   */
  readonly store?: Redis;
  /** Largest batch sent to Redis at once (default 500). */
  readonly maxBatch?: number;
  /** Failed jobs kept per queue: removed after `ageSeconds` or beyond `count` (default 14 days, 10,000). */
  readonly keepFailed?: { readonly ageSeconds: number; readonly count: number };
  /** How long an add whose answer was lost is repeated before giving up (default 15 s). */
  readonly confirmWithinMs?: number;
  /** Told when a job got in but its seen marker could not be written (the job is not lost). */
  readonly onSeenMarkerFailed?: (err: Error) => void;
}

interface Pending {
  readonly queue: Queue;
  readonly name: string;
  readonly data: object;
  readonly opts: JobsOptions;
  readonly seenKey: string;
  /** Settles with undefined once the caller's own check passed, or with the error it failed with. */
  readonly gate?: Promise<Error | undefined>;
  readonly resolve: (outcome: EnqueueOutcome) => void;
  readonly reject: (err: Error) => void;
}

export class Producer implements Enqueue {
  private readonly outbound = new Map<string, Queue>();
  private readonly toXmpp = new Map<string, Queue>();
  private pending: Pending[] = [];
  private flushScheduled = false;
  /** Seen markers being written (close waits for them). */
  private readonly marking = new Set<Promise<void>>();
  private readonly store: Redis;
  private closing = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: ProducerOptions,
  ) {
    this.store = options.store ?? redis;
  }

  enqueueOutbound(job: OutboundJob, jobId: string, gate?: Promise<unknown>): Promise<EnqueueOutcome> {
    const data = outboundJobSchema.parse(job);
    return this.addOnce(this.queue(this.outbound, outboundQueueName(data.gatewayId)), "send", data, jobId, {
      attempts: this.options.outboundAttempts,
      gatewayId: data.gatewayId,
      gate,
    });
  }

  enqueueToXmpp(gatewayId: string, job: ToXmppJob, jobId: string): Promise<EnqueueOutcome> {
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
    this.closing = true;
    if (this.pending.length > 0) await this.flush();
    await Promise.all(this.marking);
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

  private addOnce(
    queue: Queue,
    name: string,
    data: object,
    jobId: string,
    opts: { attempts: number; gatewayId: string; gate?: Promise<unknown> },
  ): Promise<EnqueueOutcome> {
    // Settled into a value at once: a gate that fails while its entry waits is never unhandled.
    const gate = opts.gate?.then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    return new Promise<EnqueueOutcome>((resolve, reject) => {
      this.pending.push({
        queue,
        name,
        data,
        ...(gate === undefined ? {} : { gate }),
        seenKey: storeKey(this.options.prefix, "seen", opts.gatewayId, jobId),
        opts: {
          jobId,
          attempts: opts.attempts,
          backoff: { type: "jittered" },
          removeOnComplete: { count: this.options.keepCompleted },
          // The failed reason is kept; stack traces (one per attempt otherwise) are not.
          stackTraceLimit: 0,
          removeOnFail: {
            age: this.options.keepFailed?.ageSeconds ?? 14 * 24 * 3600,
            count: this.options.keepFailed?.count ?? 10_000,
          },
        },
        resolve,
        reject,
      });
      if (this.pending.length >= (this.options.maxBatch ?? 500)) {
        void this.flush();
      } else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          void this.flush();
        });
      }
    });
  }

  /** Sends the pending batch; every entry is resolved or rejected, never left hanging. */
  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let fresh: Pending[];
    try {
      fresh = await this.passedGates(await this.unseen(batch));
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
      return;
    }
    const byQueue = new Map<Queue, Pending[]>();
    for (const p of fresh) {
      const jobs = byQueue.get(p.queue);
      if (jobs) jobs.push(p);
      else byQueue.set(p.queue, [p]);
    }
    const added: Pending[] = [];
    const deadline = Date.now() + (this.options.confirmWithinMs ?? 15_000);
    await Promise.all(
      [...byQueue].map(async ([queue, jobs]) => {
        try {
          await within(
            deadline,
            queue.addBulk(jobs.map((p) => ({ name: p.name, data: p.data, opts: p.opts }))),
          );
          added.push(...jobs);
        } catch (first) {
          // Each goes once more alone, with its own answer: one bad entry must not sink the
          // others, and when Redis stored the batch but its answer was lost (a restart), the
          // repeated add finds the job by its id instead of telling the sender to send it again.
          await Promise.all(
            jobs.map((p) =>
              this.addConfirmed(queue, p, first, deadline).then(
                () => added.push(p),
                (e: Error) => p.reject(e),
              ),
            ),
          );
        }
      }),
    );
    if (added.length === 0) return;
    // The jobs exist: answer now. The markers only matter to a duplicate arriving after BullMQ has
    // dropped the job; until then BullMQ refuses the same id by itself.
    for (const p of added) p.resolve("enqueued");
    const marking = this.mark(added);
    this.marking.add(marking);
    await marking;
    this.marking.delete(marking);
  }

  /**
   * Adds one job until Redis answers, at most until `deadline`. Throws the error when Redis
   * answered with one (or the job is invalid), the last connection error when no attempt can have
   * reached Redis, EnqueueUncertainError when one may have.
   */
  private async addConfirmed(queue: Queue, p: Pending, first: unknown, deadline: number): Promise<void> {
    // A batch BullMQ refused before sending (an invalid job) reached nothing.
    let uncertain = first instanceof DeadlinePassed || !(first instanceof Error) || mayHaveApplied(first);
    for (let wait = 50; ; wait = Math.min(wait * 2, 1_000)) {
      try {
        await within(deadline, queue.add(p.name, p.data, p.opts));
        return;
      } catch (err) {
        if (!(err instanceof DeadlinePassed) && !isConnectionError(err)) throw err;
        uncertain ||= err instanceof DeadlinePassed || mayHaveApplied(err);
        const left = deadline - Date.now();
        if (left <= 0 || this.closing || this.redis.status === "end") {
          if (!uncertain) throw err;
          throw new EnqueueUncertainError(`Redis did not confirm job ${p.opts.jobId ?? ""} (${err.message})`);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, left)));
      }
    }
  }

  private async mark(added: Pending[]): Promise<void> {
    try {
      const marks = this.store.pipeline();
      for (const p of added) marks.set(p.seenKey, "1", "EX", this.options.dedupTtlSeconds);
      const results = (await marks.exec()) ?? [];
      const failed = results.find(([e]) => e !== null)?.[0];
      if (failed) throw failed;
    } catch (err) {
      this.options.onSeenMarkerFailed?.(err as Error);
    }
  }

  /** Waits for the callers' own checks: an entry whose check failed is rejected with its error. */
  private async passedGates(fresh: Pending[]): Promise<Pending[]> {
    if (!fresh.some((p) => p.gate)) return fresh;
    const failures = await Promise.all(fresh.map((p) => p.gate));
    return fresh.filter((p, i) => {
      const failed = failures[i];
      if (failed) p.reject(failed);
      return !failed;
    });
  }

  /** Answers "duplicate" for entries seen before (or twice in this batch); returns the rest. */
  private async unseen(batch: Pending[]): Promise<Pending[]> {
    const checks = this.store.pipeline();
    for (const p of batch) checks.exists(p.seenKey);
    const results = (await checks.exec()) ?? [];
    const fresh: Pending[] = [];
    const inBatch = new Set<string>();
    for (const [i, p] of batch.entries()) {
      const [err, exists] = results[i] ?? [new Error("no answer from Redis"), null];
      if (err) throw err;
      if (exists === 1 || inBatch.has(p.seenKey)) {
        p.resolve("duplicate");
      } else {
        inBatch.add(p.seenKey);
        fresh.push(p);
      }
    }
    return fresh;
  }
}
