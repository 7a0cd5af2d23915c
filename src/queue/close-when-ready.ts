/**
 * Closing a BullMQ Queue or Worker only once its Redis connections have finished starting.
 *
 * BullMQ (5.81.5, taskforcesh/bullmq#3546) starts each connection in its constructor: it waits for
 * the client to be ready, then asks INFO for the Redis version, and emits `error` if that fails.
 * `close()` removes every listener at once. A connection closed while still starting (a
 * worker's own blocking connection disconnected, or the shared client disconnected by the
 * shutdown after the queue's close) then fails its INFO with "Connection is closed.", and the
 * `error` it emits has no listener: Node throws, and a gateway told to stop moments after it
 * started exited 1 with a stack trace instead of 0.
 *
 * So shutdown waits, bounded, for the object to be ready before closing it. Redis answers within
 * milliseconds when it is up; when it does not answer within the bound the object is closed
 * anyway, as before: a connection that then fails its start-up may still end the process with
 * that error. A shutdown while Redis is away is bounded one level up, in `roles/running.ts`
 * (`test/integration/chaos/redis-away-stop.test.ts`).
 */

/** What shutdown waits for Redis before closing an object that is still starting. */
export const READY_BOUND_MS = 2000;

export interface Closable {
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}

export async function closeWhenReady(o: Closable, boundMs = READY_BOUND_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, boundMs);
  });
  try {
    await Promise.race([o.waitUntilReady().catch(() => undefined), bound]);
  } finally {
    clearTimeout(timer);
  }
  await o.close();
}
