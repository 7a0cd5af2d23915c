/**
 * The dead-letter view: failed jobs of every queue of the configured gateways (outbound sends
 * that exhausted their attempts or were refused, deliveries that could not be routed), listed,
 * replayed or purged from the CLI (`xmpp-gateway queue failed|retry|purge`).
 */
import { type Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { notReplayable } from "../core/pipeline/dead-letter.js";
import { JOB_STATES, type JobState } from "../core/ports.js";
import { closeWhenReady } from "./close-when-ready.js";
import { bullPrefix, outboundQueueName, toXmppQueueName } from "./names.js";

export interface FailedJob {
  readonly gatewayId: string;
  readonly queue: string;
  readonly id: string;
  readonly name: string;
  readonly failedAt?: number;
  readonly attemptsMade: number;
  readonly reason: string;
  /**
   * A one-line summary of what the job carries (never a secret: numbers, JIDs, sizes, the start of
   * the body). Raw: escape it before printing (core/printable.ts).
   */
  readonly summary: string;
}

export interface RetryResult {
  readonly retried: string[];
  /** Failed jobs that cannot be sent again, and why. */
  readonly skipped: { readonly id: string; readonly why: string }[];
}

export { JOB_STATES, type JobState };

export class QueueAdmin {
  private readonly queues: { gatewayId: string; queue: Queue }[];
  /** The queue names of the selected gateways. */
  readonly names: readonly string[];

  constructor(redis: Redis, prefix: string, gatewayIds: readonly string[]) {
    this.queues = gatewayIds.flatMap((gatewayId) =>
      [outboundQueueName(gatewayId), toXmppQueueName(gatewayId)].map((name) => {
        const queue = new Queue(name, { connection: redis, prefix: bullPrefix(prefix) });
        // Connection errors are logged by the Redis client's listener; an unheard `error` throws.
        queue.on("error", () => {});
        return { gatewayId, queue };
      }),
    );
    this.names = this.queues.map((q) => q.queue.name);
  }

  /** Job counts by state, per queue. */
  async counts(): Promise<Record<string, Record<JobState, number>>> {
    const out: Record<string, Record<JobState, number>> = {};
    for (const { queue } of this.queues) {
      const raw = await queue.getJobCounts(...JOB_STATES);
      out[queue.name] = Object.fromEntries(JOB_STATES.map((s) => [s, raw[s] ?? 0])) as Record<
        JobState,
        number
      >;
    }
    return out;
  }

  /** Moves every failed job of one queue back to waiting; returns how many there were. */
  async retryFailed(queueName: string): Promise<number> {
    const entry = this.queues.find((q) => q.queue.name === queueName);
    if (!entry) throw new Error(`unknown queue ${queueName}`);
    const failed = await entry.queue.getJobCountByTypes("failed");
    if (failed > 0) await entry.queue.retryJobs({ state: "failed", count: 1000 });
    return failed;
  }

  /** Failed jobs, oldest first, of one gateway or all. */
  async failed(gatewayId?: string): Promise<FailedJob[]> {
    const out: FailedJob[] = [];
    for (const { gatewayId: gw, queue } of this.select(gatewayId)) {
      for (const job of await queue.getFailed()) {
        if (job.id === undefined) continue;
        out.push({
          gatewayId: gw,
          queue: queue.name,
          id: job.id,
          name: job.name,
          ...(job.finishedOn === undefined ? {} : { failedAt: job.finishedOn }),
          attemptsMade: job.attemptsMade,
          reason: cleanReason(job.failedReason ?? ""),
          summary: summarize(job),
        });
      }
    }
    return out.sort((a, b) => (a.failedAt ?? 0) - (b.failedAt ?? 0));
  }

  /**
   * Moves failed jobs back to their queue with fresh attempts. A refused job that kept only the
   * start of its body (core/pipeline/dead-letter.ts) is not replayable: it is skipped, with the reason.
   */
  async retry(target: { id: string } | { all: true }, gatewayId?: string): Promise<RetryResult> {
    const retried: string[] = [];
    const skipped: { id: string; why: string }[] = [];
    for (const { queue } of this.select(gatewayId)) {
      const jobs =
        "id" in target
          ? [await queue.getJob(target.id)].filter((j): j is Job => j !== undefined)
          : await queue.getFailed();
      for (const job of jobs) {
        if ((await job.getState()) !== "failed") continue;
        const why = notReplayable(job.data);
        if (why !== undefined) {
          skipped.push({ id: job.id ?? "", why });
          continue;
        }
        await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
        retried.push(job.id ?? "");
      }
    }
    return { retried, skipped };
  }

  /** Removes failed jobs that failed more than `olderThanMs` ago; returns how many. */
  async purge(olderThanMs: number, gatewayId?: string): Promise<number> {
    let removed = 0;
    for (const { queue } of this.select(gatewayId)) {
      for (;;) {
        const ids = await queue.clean(olderThanMs, 1000, "failed");
        removed += ids.length;
        if (ids.length < 1000) break;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((q) => closeWhenReady(q.queue)));
  }

  private select(gatewayId: string | undefined) {
    return this.queues.filter((q) => gatewayId === undefined || q.gatewayId === gatewayId);
  }
}

/**
 * The failure as operators read it. Versions before the attempt notes moved to Redis appended
 * them to the error (" [never sent: in-flight:...]", " [sent: in-flight:...=SM...]"): jobs that
 * failed then still carry them, and are shown without.
 */
export function cleanReason(reason: string): string {
  return reason.replace(/ \[(never sent|sent): in-flight:[^\]]*\]/g, "");
}

function summarize(job: Job): string {
  const d: unknown = job.data;
  if (typeof d !== "object" || d === null) return "";
  const r = d as Record<string, unknown>;
  // A batch job fails only when it could not hand its unsent messages on (batch-runner.ts).
  if (Array.isArray(r.items)) return `batch of ${r.items.length} messages (retry runs the unsent ones)`;
  const str = (k: string) => (typeof r[k] === "string" ? (r[k] as string) : undefined);
  const body = str("body");
  const bodyChars = typeof r.bodyChars === "number" ? r.bodyChars : undefined;
  const parts = [
    str("kind") ?? job.name,
    str("from") !== undefined ? `from ${str("from")}` : undefined,
    str("to") !== undefined ? `to ${str("to")}` : undefined,
    str("stanzaId") !== undefined ? `stanza ${str("stanzaId")}` : undefined,
    bodyChars !== undefined
      ? `${bodyChars} chars (first ${body?.length ?? 0} kept)`
      : body !== undefined
        ? `${body.length} chars`
        : undefined,
    r.malformed === true ? `malformed, ${String(r.jsonChars)} chars` : undefined,
    body !== undefined && body.length > 0 ? `"${clipped(body, 40)}"` : undefined,
    Array.isArray(r.mediaUrls) && r.mediaUrls.length > 0 ? `${r.mediaUrls.length} media` : undefined,
  ];
  return parts.filter((p) => p !== undefined).join(", ");
}

function clipped(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}...` : s;
}
