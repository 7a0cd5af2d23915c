/**
 * What the admin commands need from the queues: job counts per queue and retrying failed jobs.
 * src/queue/admin.ts implements it on BullMQ (the same class serves the `queue` CLI).
 */

import type { JobState } from "../../core/ports.js";

export { JOB_STATES, type JobState } from "../../core/ports.js";

export interface QueueAdmin {
  /** The gateway's queue names. */
  readonly names: readonly string[];
  counts(): Promise<Record<string, Record<JobState, number>>>;
  /** Moves the failed jobs of `queue` back to waiting; returns how many there were. */
  retryFailed(queue: string): Promise<number>;
  close(): Promise<void>;
}
