/**
 * Messages per job state in one queue, batch jobs (src/queue/batch-job.ts) opened up: a message
 * counts in its own job's state when it has one (it left its batch), else in its batch's state.
 */
import type { Job, Queue } from "bullmq";
import { BATCH_JOB_NAME, batchDataSchema } from "../../src/queue/batch-job.js";

const STATES = ["completed", "failed", "waiting", "delayed", "active"] as const;
type State = (typeof STATES)[number];

export async function messageCounts(queue: Queue): Promise<Record<State, number>> {
  const jobs: [State, Job][] = [];
  for (const state of STATES) for (const job of await queue.getJobs([state])) jobs.push([state, job]);
  const own = new Set(jobs.filter(([, j]) => j.name !== BATCH_JOB_NAME).map(([, j]) => j.id));
  const counts: Record<State, number> = { completed: 0, failed: 0, waiting: 0, delayed: 0, active: 0 };
  for (const [state, job] of jobs) {
    if (job.name !== BATCH_JOB_NAME) counts[state]++;
    else counts[state] += batchDataSchema.parse(job.data).items.filter((i) => !own.has(i.id)).length;
  }
  return counts;
}
