/**
 * Runs a batch job (batch-job.ts): each item gets its first try here, side by side, and an item
 * that did not succeed leaves the batch as a job of its own, under its own id:
 * - to try again: in the delayed set, with the attempts it has left (its try here counted, unless
 *   it only waited for its number's pace);
 * - failed for good, or out of attempts: a job the worker fails at once with the item's reason,
 *   so it stands in the failed set like any failed message and `queue retry` replays it.
 * The batch completes once every item succeeded or left, keeping only their ids (batch-job.ts,
 * `done`). When the split jobs cannot be added
 * (Redis away), the batch keeps only those items and fails this attempt: its retry, like one after
 * a crash, first drops the items whose own job exists already, and runs the rest again (the
 * sender's part ledger keeps a message from being sent twice).
 */
import { type Job, type JobsOptions, type Queue, UnrecoverableError } from "bullmq";
import {
  type BatchItem,
  batchDataSchema,
  failureIn,
  withAttemptsBefore,
  withFailure,
  withoutFailure,
} from "./batch-job.js";
import { BATCH_WORKER_NAME } from "./batch-readers.js";

/** What became of an item's try. */
export type ItemVerdict =
  | { readonly kind: "done" }
  | {
      readonly kind: "again";
      /**
       * When to try again, as a clock time: the item's own job is added only once the whole batch
       * is done, so a delay taken at the try would put it late by however long the others took
       * (paced sends of two batches would then bunch up).
       */
      readonly untilMs: number;
      /** Attempts the item's own job may still make, and how many it made in the batch. */
      readonly attempts: number;
      readonly attemptsBefore: number;
    }
  | { readonly kind: "failed"; readonly reason: string; readonly data?: object };

export const DONE: ItemVerdict = { kind: "done" };

/**
 * Times a job may be found stalled (its lock gone: its worker died or was held up past the lock
 * duration) and still be run again, before BullMQ fails it (its default is 1). Every job here is
 * safe to run again (the part ledger outbound, the same stanza id inbound), and a batch job is
 * active for as long as its last item waits for a send slot, so one crash (a stall) followed by a
 * held-up event loop in the process that took it over (a second) must not fail it with its
 * messages unsent. Still bounded: a job that kills every worker that takes it stops at some point.
 */
const MAX_STALLED = 5;

/** What a worker that runs batch jobs tells BullMQ: its name (batch-readers.ts), its stall limit. */
export const BATCH_WORKER_OPTIONS = { name: BATCH_WORKER_NAME, maxStalledCount: MAX_STALLED } as const;

export interface BatchRunner {
  /** The batch's queue: where its items' own jobs go. */
  readonly queue: Queue;
  /** Gives one item its try; `attempts`: what a job of its own would have. */
  readonly runItem: (item: BatchItem, attempts: number) => Promise<ItemVerdict>;
}

export interface BatchResult {
  readonly items: number;
  /** Items that left as jobs of their own. */
  readonly split: number;
}

export async function runBatch(job: Job, r: BatchRunner): Promise<BatchResult> {
  const parsed = batchDataSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`malformed batch job: ${parsed.error.message}`);
  if (parsed.data.done) return { items: 0, split: 0 };
  let items = parsed.data.items;
  if (job.attemptsStarted > 1 || job.attemptsMade > 0) items = await withoutOwnJobs(r.queue, items);
  const attempts = job.opts.attempts ?? 1;
  const verdicts = await Promise.all(items.map((item) => r.runItem(item, attempts)));
  const left = items.flatMap((item, i) => ownJob(item, verdicts[i] ?? DONE, job.opts));
  if (left.length > 0) {
    try {
      await r.queue.addBulk(left);
    } catch (err) {
      const rest = items.filter((_, i) => verdicts[i]?.kind !== "done");
      await job.updateData({ items: rest }).catch(() => {});
      throw err;
    }
  }
  const ids = parsed.data.items.map(({ id, name }) => ({ id, name }));
  await job.updateData({ done: true, items: ids }).catch(() => {});
  return { items: items.length, split: left.length };
}

/** The items whose own job does not exist yet (a batch run again after a crash or a failure). */
async function withoutOwnJobs(queue: Queue, items: readonly BatchItem[]): Promise<BatchItem[]> {
  const states = await Promise.all(items.map((item) => queue.getJobState(item.id)));
  return items.filter((_, i) => states[i] === "unknown");
}

/** The job an item leaves the batch as, if it does. */
function ownJob(
  item: BatchItem,
  verdict: ItemVerdict,
  batch: JobsOptions,
): { name: string; data: Record<string, unknown>; opts: JobsOptions }[] {
  if (verdict.kind === "done") return [];
  const opts: JobsOptions = {
    jobId: item.id,
    attempts: batch.attempts ?? 1,
    ...(batch.backoff === undefined ? {} : { backoff: batch.backoff }),
    ...(batch.removeOnComplete === undefined ? {} : { removeOnComplete: batch.removeOnComplete }),
    ...(batch.removeOnFail === undefined ? {} : { removeOnFail: batch.removeOnFail }),
    ...(batch.stackTraceLimit === undefined ? {} : { stackTraceLimit: batch.stackTraceLimit }),
  };
  if (verdict.kind === "failed") {
    return [{ name: item.name, data: withFailure(verdict.data ?? item.data, verdict.reason), opts }];
  }
  return [
    {
      name: item.name,
      data: withAttemptsBefore(item.data, verdict.attemptsBefore),
      opts: {
        ...opts,
        attempts: verdict.attempts,
        delay: Math.max(0, Math.round(verdict.untilMs - Date.now())),
      },
    },
  ];
}

/** An item's verdict after a failed try that was not a pace: again while attempts are left. */
export function afterFailure(
  err: unknown,
  attempts: number,
  backoff: (attemptsMade: number, type?: string, err?: Error) => number,
  permanent: boolean,
  kept?: object,
): ItemVerdict {
  const error = err instanceof Error ? err : new Error(String(err));
  if (permanent || attempts <= 1) {
    return { kind: "failed", reason: error.message, ...(kept === undefined ? {} : { data: kept }) };
  }
  const untilMs = Date.now() + backoff(1, undefined, error);
  return { kind: "again", untilMs, attempts: attempts - 1, attemptsBefore: 1 };
}

/**
 * A job that failed for good inside its batch fails at its first pickup, with the item's reason
 * and without the mark, so a replay (`queue retry`) runs it like any other job.
 */
export async function failFirstPickup(job: Job): Promise<void> {
  const reason = failureIn(job.data);
  if (reason === undefined) return;
  await job.updateData(withoutFailure(job.data));
  throw new UnrecoverableError(reason);
}
