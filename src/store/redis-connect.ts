/**
 * Reaching Redis with a bounded wait, and saying plainly why not: for CLI commands (which must
 * never hang) and for telling a refused password (a configuration mistake) from a Redis that is
 * simply not up yet.
 */
import { Redis } from "ioredis";
import type { Logger } from "../core/logger.js";
import { EXIT, StartupError } from "../core/startup-error.js";

/** Whether a Redis error means the credentials in redis.url were refused (or missing). */
export function isRedisAuthFailure(message: string): boolean {
  return /^(WRONGPASS|NOAUTH)\b|invalid password|invalid username-password/i.test(message);
}

/** The Redis URL without its password, for messages and log lines. */
export function redactedRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  } catch {
    return "(unparsable Redis URL)";
  }
}

/** Why Redis refused or could not be reached, as a StartupError with the right exit code. */
export function redisStartupError(url: string, reason: string): StartupError {
  const where = redactedRedisUrl(url);
  if (isRedisAuthFailure(reason)) {
    return new StartupError(
      `Redis at ${where} refused the credentials (${reason.split("\n")[0]}): check the password in redis.url`,
      EXIT.config,
    );
  }
  return new StartupError(
    `cannot reach Redis at ${where} (${reason}): is it running? (redis.url)`,
    EXIT.unavailable,
  );
}

/**
 * A connected client, or a StartupError within `timeoutMs`. After connecting, a dropped
 * connection is retried a few times, then commands fail instead of waiting forever.
 */
export async function connectRedisBounded(url: string, timeoutMs: number, name: string): Promise<Redis> {
  let lastError: string | undefined;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectionName: name,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on("error", (err: Error) => {
    lastError = err.message;
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), timedOut]);
  } catch (err) {
    redis.disconnect();
    throw redisStartupError(url, lastError ?? (err as Error).message);
  } finally {
    clearTimeout(timer);
  }
  redis.options.retryStrategy = (attempt: number) => (attempt > 3 ? null : 200 * attempt);
  return redis;
}

/**
 * Resolves once Redis answers PING. Until then it logs, at once and then every 10 s, which Redis
 * it waits for (URL without password) and why it cannot reach it; it never gives up (an operator
 * or supervisor stops it).
 */
export async function waitForRedis(redis: Redis, url: string, logger: Logger): Promise<void> {
  const where = redactedRedisUrl(url);
  let lastConnectionError: string | undefined;
  const onError = (err: Error) => {
    lastConnectionError = err.message;
  };
  redis.on("error", onError);
  try {
    let attempt = 0;
    let loggedAt = 0;
    for (;;) {
      try {
        await redis.ping();
        if (attempt > 0) logger.info({ redis: where }, `Redis at ${where} is reachable; starting`);
        return;
      } catch (err) {
        const reason = lastConnectionError ?? (err as Error).message;
        // A refused password will not change by waiting: a configuration mistake.
        if (isRedisAuthFailure(reason)) throw redisStartupError(url, reason);
        if (attempt === 0 || Date.now() - loggedAt >= 10_000) {
          loggedAt = Date.now();
          logger.error(
            { redis: where, reason },
            `Redis at ${where} is unreachable (${reason}); waiting for it before starting`,
          );
        }
        attempt++;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * 2 ** Math.min(attempt, 5))));
      }
    }
  } finally {
    redis.off("error", onError);
  }
}

/** Logs a connection's errors, naming the Redis without its password, at most once per 5 s. */
export function redisErrorLogger(logger: Logger, url: string): (err: Error) => void {
  const msg = `Redis connection error (${redactedRedisUrl(url)})`;
  let last = 0;
  return (err: Error) => {
    const now = Date.now();
    if (now - last < 5000) return;
    last = now;
    logger.error({ reason: err.message }, msg);
  };
}
