/**
 * Retry policy for BullMQ jobs: exponential backoff with jitter, and a provider's Retry-After
 * (RetryableError.retryAfterMs) wins when it asks for longer.
 */

import { jitteredBackoff } from "../core/backoff.js";
import { RetryableError } from "../core/errors.js";

export interface RetryPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

export function backoffStrategy(policy: RetryPolicy) {
  return (attemptsMade: number, _type?: string, err?: Error): number => {
    const delay = jitteredBackoff(Math.max(0, attemptsMade - 1), policy.baseMs, policy.maxMs);
    if (err instanceof RetryableError && err.retryAfterMs !== undefined) {
      return Math.min(policy.maxMs, Math.max(delay, err.retryAfterMs));
    }
    return delay;
  };
}
