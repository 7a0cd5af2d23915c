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
export function isConnectionError(err: unknown): err is Error {
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
 * Whether a command that failed with `err` may have run in Redis: a reply error (Redis answered;
 * in a MULTI the other commands still ran) or a connection error other than those of a command
 * that was never written: one that sat in ioredis's offline queue (MaxRetriesPerRequestError;
 * with maxRetriesPerRequest 1 or more a written command is kept and resent instead) or found the
 * offline queue off. BullMQ's own refusals (an invalid job) never reach Redis.
 */
export function mayHaveApplied(err: Error): boolean {
  if (err.name === "ReplyError") return true;
  if (!isConnectionError(err)) return false;
  return !(err.name === "MaxRetriesPerRequestError" || err.message.startsWith("Stream isn't writeable"));
}
