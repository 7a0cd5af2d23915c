/**
 * Retry policy for BullMQ jobs: exponential backoff with jitter, and a provider's Retry-After
 * (RetryableError.retryAfterMs) wins when it asks for longer.
 */

import { jitteredBackoff } from "../core/backoff.js";
import { RetryableError } from "../core/errors.js";
import { attemptsBefore } from "./batch-job.js";

export interface RetryPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

export function backoffStrategy(policy: RetryPolicy) {
  // A job that left a batch counts the attempts it made there (batch-job.ts).
  return (attemptsMade: number, _type?: string, err?: Error, job?: { data?: unknown }): number => {
    const made = attemptsMade + attemptsBefore(job?.data);
    const delay = jitteredBackoff(Math.max(0, made - 1), policy.baseMs, policy.maxMs);
    if (err instanceof RetryableError && err.retryAfterMs !== undefined) {
      return Math.min(policy.maxMs, Math.max(delay, err.retryAfterMs));
    }
    return delay;
  };
}
