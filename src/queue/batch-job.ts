/**
 * Batch jobs: the messages one turn of the event loop enqueued for one queue travel as one BullMQ
 * job, so BullMQ's per-job work (the add script, the move to active and to finished, the events)
 * is paid once per batch instead of once per message.
 *
 * Each message (an item) keeps its own id, the one its job would have had alone. An item that does
 * not succeed at its first try leaves the batch as a job of its own under that id (batch-runner.ts):
 * a retry waits in the delayed set, one that failed for good lands in the failed set, so retries,
 * dead letters and `queue retry` work per message as before. A queue holds both kinds: a turn with
 * one message for a queue still adds a plain job.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

export const BATCH_JOB_NAME = "batch";

/** Items per batch job at most: bounds the job's size and what a crash mid-batch runs again. */
export const MAX_BATCH_ITEMS = 100;

const itemSchema = z.object({ id: z.string().min(1), name: z.string().min(1), data: z.unknown().optional() });
export type BatchItem = z.infer<typeof itemSchema>;

export const batchDataSchema = z.object({
  items: z.array(itemSchema).min(1).max(MAX_BATCH_ITEMS),
  /**
   * Set once every item succeeded or left: the items then keep only their ids and names, so the
   * completed jobs kept (`queue.keepCompleted`, counted in jobs) hold no more message text than
   * before batches. A batch run again after that (a crash before it completed) has nothing to do.
   */
  done: z.literal(true).optional(),
});
export type BatchData = z.infer<typeof batchDataSchema>;

/** The batch's id, from its items' ids: an add repeated after a lost answer finds the same job. */
export function batchJobId(itemIds: readonly string[]): string {
  const hash = createHash("sha256");
  for (const id of itemIds) hash.update(id).update("\u0000");
  return `b-${hash.digest("hex").slice(0, 40)}`;
}

/**
 * Set on the data of an item that failed for good inside its batch and left it as its own job:
 * the worker fails that job at once with this reason, and drops the field, so the job stands in
 * the failed set as if it had failed alone, and `queue retry` runs it like any other.
 */
const FAILED_IN_BATCH = "failedInBatch";

/** A job's data as a record (a non-object is kept under `value`). */
function record(data: unknown): Record<string, unknown> {
  return typeof data === "object" && data !== null ? (data as Record<string, unknown>) : { value: data };
}

export function withFailure(data: unknown, reason: string): Record<string, unknown> {
  return { ...record(data), [FAILED_IN_BATCH]: reason };
}

/** The reason an item failed in its batch, or undefined for a job to run. */
export function failureIn(data: unknown): string | undefined {
  const reason = record(data)[FAILED_IN_BATCH];
  return typeof reason === "string" ? reason : undefined;
}

export function withoutFailure(data: object): Record<string, unknown> {
  const { [FAILED_IN_BATCH]: _dropped, ...rest } = data as Record<string, unknown>;
  return rest;
}

/**
 * Set on the data of an item that made attempts in its batch before leaving it to try again: its
 * own job's attempts are the ones left, and the worker counts these in (what the sender is told,
 * the backoff), so a message makes the attempts configured, no more, wherever they ran.
 */
const ATTEMPTS_BEFORE = "attemptsInBatch";

export function withAttemptsBefore(data: unknown, n: number): Record<string, unknown> {
  return n === 0 ? record(data) : { ...record(data), [ATTEMPTS_BEFORE]: n };
}

export function attemptsBefore(data: unknown): number {
  const n = record(data)[ATTEMPTS_BEFORE];
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : 0;
}
