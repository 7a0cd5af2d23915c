/**
 * Bounded polling. Tests never sleep to wait for something: they poll for the condition with a
 * deadline and fail with a message naming what they waited for.
 */

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Poll interval (default 50 ms). */
  intervalMs?: number;
  /** Named in the timeout error. */
  description?: string;
}

export class WaitTimeoutError extends Error {
  override name = "WaitTimeoutError";
}

/**
 * Calls `probe` until it returns something other than `undefined`, `null` or `false` and returns
 * that value. A probe that throws is treated as "not yet"; the last error is named in the
 * timeout error.
 */
export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const what = options.description ?? "condition";
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await delay(Math.min(intervalMs, left));
  }
}

/** Rejects with a WaitTimeoutError if `promise` does not settle within `timeoutMs`. */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  description: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${description}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The poll interval of waitFor; not for waiting on events. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
