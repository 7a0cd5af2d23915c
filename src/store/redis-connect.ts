/**
 * Reaching Redis with a bounded wait, and saying plainly why not: for CLI commands (which must
 * never hang) and for telling a refused password (a configuration mistake) from a Redis that is
 * simply not up yet.
 */
import { Redis } from "ioredis";
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
