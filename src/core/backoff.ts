/** Exponential backoff with full jitter: a random delay in [0, min(max, initial * 2^attempt)]. */
export function jitteredBackoff(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
