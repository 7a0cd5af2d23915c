/** The options every job of the producer is added with, and the checks BullMQ would make of them. */
import type { JobsOptions } from "bullmq";

export interface Retention {
  readonly keepCompleted: number;
  /** Failed jobs kept per queue: removed after `ageSeconds` or beyond `count` (default 14 days, 10,000). */
  readonly keepFailed?: { readonly ageSeconds: number; readonly count: number };
}

export function jobOptions(attempts: number, r: Retention): JobsOptions {
  return {
    attempts,
    backoff: { type: "jittered" },
    removeOnComplete: { count: r.keepCompleted },
    // The failed reason is kept; stack traces (one per attempt otherwise) are not.
    stackTraceLimit: 0,
    removeOnFail: {
      age: r.keepFailed?.ageSeconds ?? 14 * 24 * 3600,
      count: r.keepFailed?.count ?? 10_000,
    },
  };
}

/** BullMQ's own rule for custom ids, checked up front: an item of a batch job is added unchecked. */
export function invalidJobId(jobId: string): Error | undefined {
  if (`${Number.parseInt(jobId, 10)}` === jobId) return new Error("Custom Id cannot be integers");
  if (jobId.includes(":")) return new Error("Custom Id cannot contain :");
  return undefined;
}

export function chunked<T>(all: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < all.length; i += size) out.push(all.slice(i, i + size));
  return out;
}
