/**
 * What a failed Redis command says about its fate (see producer.ts for ioredis's behaviour on a
 * dropped connection), and a deadline for commands whose answer may never come.
 */

export class DeadlinePassed extends Error {
  override readonly name = "DeadlinePassed";
}

/** `work`, or DeadlinePassed at `deadline` (the command itself may still be answered later). */
export async function within<T>(deadline: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DeadlinePassed("no answer from Redis in time")),
      deadline - Date.now(),
    );
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Errors of the connection, not answers of Redis nor refusals of BullMQ: worth asking again. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (
    err.name === "MaxRetriesPerRequestError" ||
    err.name === "AbortError" ||
    err.message === "Connection is closed." ||
    err.message.startsWith("Stream isn't writeable") ||
    (typeof code === "string" &&
      ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTCONN"].includes(code))
  );
}

/**
 * False only for errors of a command that was never written: it sat in ioredis's offline queue
 * (MaxRetriesPerRequestError; with maxRetriesPerRequest 1 or more a written command is kept and
 * resent instead), or the offline queue is off. Anything else may have run in Redis.
 */
export function mayHaveReachedRedis(err: unknown): boolean {
  if (!(err instanceof Error)) return true;
  return !(err.name === "MaxRetriesPerRequestError" || err.message.startsWith("Stream isn't writeable"));
}
