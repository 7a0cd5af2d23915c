/**
 * Closing a BullMQ Queue or Worker that is still starting (taskforcesh/bullmq#3546): its start-up
 * INFO, cut off by the connection closing, must not escape as an unhandled `error`. That escape
 * made a gateway SIGTERMed moments after it started exit 1 (src/queue/close-when-ready.ts).
 *
 * The test's own Redis is paused (CLIENT PAUSE) while the object starts, so its INFO is in flight
 * when the object is closed and the connection after it, every time.
 */
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Closable, closeWhenReady } from "../../src/queue/close-when-ready.js";
import { startRedis, type TestRedis } from "../harness/redis.js";

const PAUSE_MS = 300;

let server: TestRedis;
let admin: Redis;
const escaped: Error[] = [];
const record = (err: unknown) => escaped.push(err instanceof Error ? err : new Error(String(err)));

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
  // Node makes the unlistened `error` an uncaught exception; under the test runner, thrown
  // from the promise handler that emits it, it arrives as an unhandled rejection.
  process.on("uncaughtException", record);
  process.on("unhandledRejection", record);
});
afterAll(async () => {
  process.off("uncaughtException", record);
  process.off("unhandledRejection", record);
  admin.disconnect();
  await server.stop();
});
afterEach(async () => {
  await admin.client("UNPAUSE");
});

/** A connected client, then Redis paused so the next object's start-up waits on it. */
async function pausedClient(): Promise<Redis> {
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  await new Promise((resolve) => redis.once("ready", resolve));
  await admin.client("PAUSE", PAUSE_MS, "ALL");
  return redis;
}

/** Waits past the pause, so an error from the cut-off start-up has had its turn to escape. */
async function afterThePause(redis: Redis): Promise<void> {
  await new Promise<void>((resolve) => {
    if (redis.status === "end") resolve();
    else redis.once("end", () => resolve());
  });
  await admin.ping(); // answered once the pause is over
}

/**
 * Makes an object on a client while Redis is paused, closes it with closeWhenReady, disconnects
 * the client and waits out the pause; returns the messages of what escaped meanwhile.
 */
type Starting = Closable & { on(event: "error", listener: (err: Error) => void): unknown };

async function escapedAfterClosing(make: (redis: Redis) => Starting): Promise<string[]> {
  escaped.length = 0;
  const redis = await pausedClient();
  const made = make(redis);
  made.on("error", () => {});
  await closeWhenReady(made);
  redis.disconnect();
  await afterThePause(redis);
  return escaped.map((e) => e.message);
}

describe("closing a BullMQ object that is still starting", { timeout: 30_000 }, () => {
  it("a queue on a shared client, the client disconnected right after: nothing escapes", async () => {
    const queue = (redis: Redis) => new Queue("close-test-queue", { connection: redis });
    expect(await escapedAfterClosing(queue)).toEqual([]);
  });

  it("a worker (its own blocking connection as well): nothing escapes", async () => {
    const worker = (redis: Redis) =>
      new Worker("close-test-worker", async () => undefined, { connection: redis, autorun: false });
    expect(await escapedAfterClosing(worker)).toEqual([]);
  });

  it("closes anyway when Redis does not answer within the bound", async () => {
    const redis = await pausedClient();
    const queue = new Queue("close-test-bound", { connection: redis });
    queue.on("error", () => {});
    const started = Date.now();
    await closeWhenReady(queue, 50);
    expect(Date.now() - started).toBeLessThan(PAUSE_MS);
    await admin.client("UNPAUSE");
    await queue.waitUntilReady().catch(() => undefined);
    redis.disconnect();
  });
});
