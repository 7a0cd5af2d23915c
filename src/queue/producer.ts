/**
 * Enqueueing with upstream-derived ids and a "seen" marker that outlives job retention, so a
 * redelivered webhook or a resent stanza is accepted once (seen-markers.ts: claim, mark, release).
 * Callers are answered once their message is in Redis.
 *
 * Enqueues are batched: everything asked for in one turn of the event loop (the stanzas of one
 * socket read, the webhooks that arrived together) goes to Redis as one claim of seen markers and,
 * per queue, one batch job (batch-job.ts) added in one MULTI with its markers. A queue given one
 * message in a turn gets a plain job, marked right after it is added (a crash in between leaves
 * the job, whose id BullMQ itself refuses twice, and a claim that runs out). Callers still get one
 * answer per message. While one turn's enqueues are on their way to Redis, the next turns' wait
 * for their answer, briefly, and go together (held-flush.ts).
 *
 * When Redis drops the connection while an add is on its way, the add may or may not have been
 * applied. Adds are idempotent by job id, so one is repeated until Redis answers (or
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
import { MAX_BATCH_ITEMS } from "./batch-job.js";
import { BatchReaders } from "./batch-readers.js";
import { closeWhenReady } from "./close-when-ready.js";
import { HeldFlush } from "./held-flush.js";
import { type Claimant, IdClaims } from "./id-claims.js";
import { type AddDeadline, addBatch, confirm } from "./job-adds.js";
import { chunked, invalidJobId, jobOptions, type Retention } from "./job-options.js";
import { bullPrefix, outboundQueueName, toXmppQueueName } from "./names.js";
import { DeadlinePassed, isConnectionError, within } from "./redis-outcome.js";
import { SeenMarkers } from "./seen-markers.js";

export interface ProducerOptions extends Retention {
  readonly prefix: string;
  readonly outboundAttempts: number;
  readonly deliveryAttempts: number;
  readonly dedupTtlSeconds: number;
  /**
   * The connection for the seen markers; default the queues' connection. Better one BullMQ does
   * not use: ioredis copies every script defined on a connection into each pipeline made from it.
   */
  readonly store?: Redis;
  /** Largest batch sent to Redis at once (default 500). */
  readonly maxBatch?: number;
  /** How long an add whose answer was lost is repeated before giving up (default 15 s). */
  readonly confirmWithinMs?: number;
  /**
   * When to add batch jobs: while every worker of the queue runs them (the default,
   * batch-readers.ts), always (tests of the batch path), or never.
   */
  readonly batches?: "when-workers-can" | "always" | "never";
  /** Told when a job got in but its seen marker could not be written (the job is not lost). */
  readonly onSeenMarkerFailed?: (err: Error) => void;
}

interface Pending extends Claimant {
  readonly queue: Queue;
  readonly name: string;
  readonly data: object;
  readonly opts: JobsOptions & { readonly jobId: string };
  /** Settles with undefined once the caller's own check passed, or with the error it failed with. */
  readonly gate?: Promise<Error | undefined>;
}

export class Producer implements Enqueue {
  private readonly outbound = new Map<string, Queue>();
  private readonly toXmpp = new Map<string, Queue>();
  private pending: Pending[] = [];
  private readonly flushes = new HeldFlush(
    () => this.flush(),
    () => this.pending.length > 0,
  );
  /** Seen markers being written (close waits for them). */
  private readonly marking = new Set<Promise<void>>();
  private readonly seen: SeenMarkers;
  private readonly claims: IdClaims<Pending>;
  private readonly readers = new BatchReaders();
  private readonly confirmWithinMs: number;
  private closing = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: ProducerOptions,
  ) {
    this.confirmWithinMs = options.confirmWithinMs ?? 15_000;
    // A claim outlives every add that may still be repeated for it.
    this.seen = new SeenMarkers(
      options.store ?? redis,
      options.dedupTtlSeconds,
      this.confirmWithinMs + 5_000,
    );
    this.claims = new IdClaims(this.seen, this.confirmWithinMs, (p) => this.schedule(p));
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
    this.claims.close();
    if (this.pending.length > 0) await this.flush();
    await Promise.all(this.marking);
    await Promise.all(this.queues().map((q) => closeWhenReady(q)));
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
      const refused = invalidJobId(jobId);
      if (refused) return reject(refused);
      this.schedule({
        queue,
        name,
        data,
        ...(gate === undefined ? {} : { gate }),
        seenKey: storeKey(this.options.prefix, "seen", opts.gatewayId, jobId),
        opts: { jobId, ...jobOptions(opts.attempts, this.options) },
        resolve,
        reject,
      });
    });
  }

  private schedule(p: Pending): void {
    this.pending.push(p);
    if (this.pending.length >= (this.options.maxBatch ?? 500)) {
      void this.flush();
    } else {
      this.flushes.request();
    }
  }

  /** Sends the pending batch; every entry is resolved or rejected, never left hanging. */
  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let fresh: Pending[];
    try {
      fresh = await this.passedGates(await this.claims.fresh(batch));
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
    const deadline: AddDeadline = {
      at: Date.now() + this.confirmWithinMs,
      givenUp: () => this.closing || this.redis.status === "end",
    };
    const chunks = [...byQueue].flatMap(([queue, jobs]) =>
      chunked(jobs, this.batchesFor(queue) ? MAX_BATCH_ITEMS : 1),
    );
    await Promise.all(
      chunks.map((chunk) =>
        chunk.length === 1 && chunk[0]
          ? this.addAlone(chunk[0], deadline)
          : this.addTogether(chunk, deadline),
      ),
    );
  }

  private batchesFor(queue: Queue): boolean {
    const when = this.options.batches ?? "when-workers-can";
    return when === "always" || (when === "when-workers-can" && this.readers.ok(queue));
  }

  /** Adds entries of one queue as one batch job with their markers; alone each if BullMQ refused it. */
  private async addTogether(chunk: Pending[], deadline: AddDeadline): Promise<void> {
    const [first] = chunk as [Pending, ...Pending[]];
    const items = chunk.map((p) => ({ id: p.opts.jobId, name: p.name, data: p.data }));
    const marks = { seen: this.seen, keys: chunk.map((p) => p.seenKey) };
    const add = () => addBatch(first.queue, items, first.opts, marks);
    try {
      try {
        await within(deadline.at, add());
      } catch (err) {
        if (!(err instanceof DeadlinePassed) && !isConnectionError(err)) throw err;
        // Applied or not is unknown: only the same batch may be asked again (it is found by its id).
        await confirm(add, `a batch of ${chunk.length} jobs`, err, deadline);
      }
    } catch (err) {
      if (err instanceof EnqueueUncertainError || isConnectionError(err)) {
        if (!(err instanceof EnqueueUncertainError)) this.release(chunk);
        for (const p of chunk) p.reject(err);
        return;
      }
      // Refused, so nothing of it got in: each goes alone, and one bad entry cannot sink the rest.
      await Promise.all(chunk.map((p) => this.addAlone(p, deadline)));
      return;
    }
    for (const p of chunk) p.resolve("enqueued");
  }

  /** Adds one entry as its own job, then marks it seen. */
  private async addAlone(p: Pending, deadline: AddDeadline): Promise<void> {
    const add = () => p.queue.add(p.name, p.data, p.opts);
    try {
      try {
        await within(deadline.at, add());
      } catch (first) {
        await confirm(add, `job ${p.opts.jobId}`, first, deadline);
      }
    } catch (err) {
      if (!(err instanceof EnqueueUncertainError)) this.release([p]);
      p.reject(err as Error);
      return;
    }
    // The job exists: answer now. Its marker only matters to a duplicate arriving after BullMQ has
    // dropped the job; until then BullMQ refuses the same id by itself.
    p.resolve("enqueued");
    const marking = this.seen.mark([p.seenKey]).catch((err: Error) => this.options.onSeenMarkerFailed?.(err));
    this.marking.add(marking);
    await marking;
    this.marking.delete(marking);
  }

  /** Drops the claims of entries that were not added (best effort: a claim also runs out). */
  private release(entries: readonly Pending[]): void {
    if (entries.length > 0) this.seen.release(entries.map((p) => p.seenKey)).catch(() => {});
  }

  /** Waits for the callers' own checks: an entry whose check failed is rejected with its error. */
  private async passedGates(fresh: Pending[]): Promise<Pending[]> {
    if (!fresh.some((p) => p.gate)) return fresh;
    const failures = await Promise.all(fresh.map((p) => p.gate));
    const passed = fresh.filter((p, i) => {
      const failed = failures[i];
      if (failed) p.reject(failed);
      return !failed;
    });
    this.release(fresh.filter((_, i) => failures[i]));
    return passed;
  }
}
