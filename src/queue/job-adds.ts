/**
 * Adding jobs when Redis may drop the connection mid-add (see producer.ts for what ioredis does
 * then): an add is repeated until Redis answers, at most until a deadline. Both kinds of add are
 * idempotent by job id, so a repeat after a lost answer finds the job instead of adding another.
 * - one job: `queue.add`;
 * - a batch job (batch-job.ts): one MULTI holding BullMQ's add script and the seen markers of its
 *   items, so the messages and their markers get in together or not at all.
 */
import { Job, type JobsOptions, type Queue } from "bullmq";
import { EnqueueUncertainError } from "../core/ports.js";
import { BATCH_JOB_NAME, type BatchItem, batchJobId } from "./batch-job.js";
import { DeadlinePassed, isConnectionError, mayHaveApplied, within } from "./redis-outcome.js";
import type { SeenMarkers } from "./seen-markers.js";

export interface AddDeadline {
  readonly at: number;
  /** True once repeating is pointless (the producer is closing, the connection ended). */
  readonly givenUp: () => boolean;
}

/** Adds a batch job of `items` with their seen markers in one transaction. Throws like `confirm`. */
export async function addBatch(
  queue: Queue,
  items: readonly BatchItem[],
  opts: JobsOptions,
  marks: { readonly seen: SeenMarkers; readonly keys: readonly string[] },
): Promise<void> {
  const id = batchJobId(items.map((i) => i.id));
  const job = new Job(queue, BATCH_JOB_NAME, { items }, { ...opts, jobId: id }, id);
  const multi = (await queue.client).multi();
  // Throws before queueing anything when BullMQ refuses the job: no marker is written alone.
  const added = job.addJob(multi);
  marks.seen.markIn(multi, marks.keys);
  const [results] = await Promise.all([multi.exec(), added]);
  if (!results) throw new Error(`the transaction adding batch ${id} was discarded`);
  for (const [err, reply] of results) {
    if (err) throw err;
    if (typeof reply === "number" && reply < 0) throw new Error(`BullMQ refused batch ${id} (code ${reply})`);
  }
}

/**
 * Runs `add` until Redis answers, at most until the deadline. Throws the error when Redis
 * answered with one (or the job is invalid), the last connection error when no attempt can have
 * reached Redis, EnqueueUncertainError when one may have.
 */
export async function confirm(
  add: () => Promise<unknown>,
  what: string,
  first: unknown,
  deadline: AddDeadline,
): Promise<void> {
  // A batch BullMQ refused before sending (an invalid job) reached nothing.
  let uncertain = first instanceof DeadlinePassed || !(first instanceof Error) || mayHaveApplied(first);
  for (let wait = 50; ; wait = Math.min(wait * 2, 1_000)) {
    try {
      await within(deadline.at, add());
      return;
    } catch (err) {
      if (!(err instanceof DeadlinePassed) && !isConnectionError(err)) throw err;
      uncertain ||= err instanceof DeadlinePassed || mayHaveApplied(err);
      const left = deadline.at - Date.now();
      if (left <= 0 || deadline.givenUp()) {
        if (!uncertain) throw err;
        throw new EnqueueUncertainError(`Redis did not confirm ${what} (${err.message})`);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, left)));
    }
  }
}
