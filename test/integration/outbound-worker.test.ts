/**
 * The outbound worker against the local Redis (unique prefix) with a scripted adapter: the Redis
 * round trips of a single-part send, opt-outs, claims of crashed attempts, multi-part messages,
 * released claims and early delivery reports.
 */
import { type Job, Queue, type Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { smsCapabilities } from "../../adapters/sms-kit/index.js";
import type { NetworkAdapter, OutboundMessage } from "../../src/core/adapter.js";
import { RetryableError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/logger.js";
import type { MessageCaps } from "../../src/core/message-cost.js";
import {
  deliveryErrorJobId,
  errorJobId,
  type OutboundJob,
  outboundJobId,
} from "../../src/core/pipeline/jobs.js";
import { EARLY_REPORT_TTL_SECONDS } from "../../src/core/pipeline/reports.js";
import type { OutboundResult } from "../../src/core/pipeline/send.js";
import { bullPrefix, toXmppQueueName } from "../../src/queue/names.js";
import { Producer } from "../../src/queue/producer.js";
import { storeKey } from "../../src/store/keys.js";
import { MessageMap } from "../../src/store/message-map.js";
import { OptOutStore } from "../../src/store/optouts.js";
import { outboundJob } from "../harness/outbound-job.js";
import { startOutboundWorker } from "../harness/outbound-worker.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";
import { withTimeout } from "../harness/wait.js";

const GATEWAY = "sms";
const FROM = "+15550001111";
const TO = "+15557654321";

/** One Redis command the worker's connection sent, and the pipeline it went in (if any). */
interface Sent {
  readonly name: string;
  readonly key: string;
  readonly batch: object | undefined;
}

/** Records the gateway's own store commands (not BullMQ's) on `redis`. */
function recordStoreCommands(redis: Redis, prefix: string): Sent[] {
  const sent: Sent[] = [];
  const ours = new RegExp(`^\\{${prefix}\\}:(sent|optout|msgmap|early-report|delivered):`);
  const original = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command, stream) => {
    // A script's first key follows its sha (or body) and key count.
    const script = command.name === "evalsha" || command.name === "eval";
    const key = String(command.args[script ? 2 : 0] ?? "");
    if (ours.test(key)) {
      const batch = stream !== undefined && "isPipeline" in stream ? stream : undefined;
      sent.push({ name: command.name, key, batch });
    }
    return original(command, stream);
  }) as Redis["sendCommand"];
  return sent;
}

/** Round trips: every pipeline counts once, every command sent on its own once. */
function roundTrips(sent: readonly Sent[]): number {
  return new Set(sent.map((s, i) => s.batch ?? i)).size;
}

/**
 * `redis` whose n-th pipeline (counting from 1) goes wrong as `fault(n)` says: "lose-answer" runs
 * in Redis and then fails as a dropped connection would; "not-sent" fails without reaching Redis.
 */
function faultyPipelines(redis: Redis, fault: (n: number) => "ok" | "lose-answer" | "not-sent") {
  let made = 0;
  const proxy = new Proxy(redis, {
    get(target, prop, receiver) {
      if (prop !== "pipeline") return Reflect.get(target, prop, receiver);
      return () => {
        const batch = target.pipeline();
        const how = fault(++made);
        if (how === "ok") return batch;
        const exec = batch.exec.bind(batch);
        batch.exec = (async () => {
          if (how === "lose-answer") await exec();
          throw new Error("Connection is closed.");
        }) as typeof batch.exec;
        return batch;
      };
    },
  });
  return { redis: proxy, made: () => made };
}

const logLines: string[] = [];
const logger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (a: unknown, b?: unknown) => void logLines.push(String(typeof a === "string" ? a : b)),
  error: (a: unknown, b?: unknown) => void logLines.push(String(typeof a === "string" ? a : b)),
  fatal: () => undefined,
  child: () => logger,
};

describe("outbound worker", () => {
  const prefix = uniquePrefix("outbound-worker");
  let redis: Redis;
  let workerRedis: Redis;
  let producer: Producer;
  let toXmpp: Queue;
  let messageMap: MessageMap;
  /** The same map on the test's own connection, whose commands are not counted. */
  let readMap: MessageMap;
  let optOuts: OptOutStore;
  let worker: Worker | undefined;
  let commands: Sent[];
  /** What the adapter was asked to send, and what it answers next (an id, or an error to throw). */
  let requests: OutboundMessage[];
  let answers: (string | Error)[];
  let sid = 0;

  const adapter: NetworkAdapter = {
    kind: "scripted",
    ...smsCapabilities(),
    capabilities: { gatewayType: "sms", maxBodyLength: 20, deliveryReports: true, media: false, maxMedia: 0 },
    parseAddress: (localpart) => localpart,
    formatAddress: (address) => address,
    send: async (msg) => {
      requests.push(msg);
      const answer = answers.shift() ?? `SM${++sid}`;
      if (answer instanceof Error) throw answer;
      return { providerMessageId: answer };
    },
  };

  beforeAll(async () => {
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
    workerRedis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    commands = recordStoreCommands(workerRedis, prefix);
    producer = new Producer(redis, {
      prefix,
      outboundAttempts: 2,
      deliveryAttempts: 1,
      keepCompleted: 100,
      dedupTtlSeconds: 3600,
    });
    toXmpp = new Queue(toXmppQueueName(GATEWAY), { connection: redis, prefix: bullPrefix(prefix) });
    messageMap = new MessageMap(workerRedis, prefix, 3600);
    readMap = new MessageMap(redis, prefix, 3600);
    optOuts = new OptOutStore(workerRedis, prefix, 3600);
  });

  afterEach(async () => {
    await worker?.close();
    worker = undefined;
  });

  afterAll(async () => {
    await toXmpp?.close();
    await producer?.close();
    redis?.disconnect();
    workerRedis?.disconnect();
  });

  /** Starts the worker, enqueues one job and waits for it to complete (or to fail for good). */
  const run = async (
    stanzaId: string,
    fields: Partial<OutboundJob> = {},
    options: { corrections?: "send" | "refuse"; store?: Redis; caps?: MessageCaps } = {},
  ): Promise<{ id: string; result?: OutboundResult; failed?: string }> => {
    requests = [];
    commands.length = 0;
    const id = outboundJobId("alice@localhost", stanzaId);
    const w = startOutboundWorker({
      gatewayId: GATEWAY,
      adapter,
      redis: workerRedis,
      producer,
      logger,
      prefix,
      concurrency: 1,
      backoffMs: 10,
      maxBackoffMs: 20,
      dedupTtlSeconds: 3600,
      messageMap,
      optOuts,
      longMessages: "split",
      corrections: options.corrections ?? "send",
      caps: options.caps ?? { maxBodyLength: 100, maxParts: 3, maxSegments: 10 },
      ...(options.store ? { store: options.store } : {}),
    });
    worker = w;
    const settled = new Promise<{ result?: OutboundResult; failed?: string }>((resolve) => {
      w.on("completed", (job: Job, result: OutboundResult) => {
        if (job.id === id) resolve({ result });
      });
      w.on("failed", (job: Job | undefined, err: Error) => {
        if (job?.id !== id) return;
        // Failed for good, not waiting for a retry.
        void job.getState().then((state) => state === "failed" && resolve({ failed: err.message }));
      });
    });
    const job = outboundJob(stanzaId, {
      gatewayId: GATEWAY,
      from: FROM,
      to: TO,
      contactLocalpart: TO,
      receipt: true,
      ...fields,
    });
    expect(await producer.enqueueOutbound(job, id)).toBe("enqueued");
    return { id, ...(await withTimeout(settled, 10_000, `job ${stanzaId} to settle`)) };
  };

  const sentKey = (id: string, part: number) => storeKey(prefix, "sent", GATEWAY, id, String(part));

  it("sends a single-part message with at most two Redis round trips of its own", async () => {
    // A first job loads the ledger's scripts into Redis (EVALSHA refused, then EVAL).
    answers = ["SMwarm"];
    await run("warm-up");
    await worker?.close();
    requests.length = 0;
    answers = ["SMsingle"];
    const { id, result } = await run("single");
    expect(result).toEqual({ providerMessageIds: ["SMsingle"], uncertainParts: 0 });
    expect(requests.map((r) => r.body)).toEqual(["hello"]);
    expect(await redis.get(sentKey(id, 0))).toBe("SMsingle");
    expect(await readMap.get(GATEWAY, "SMsingle")).toMatchObject({ jobId: id, parts: 1 });
    // Was 5, one per command: opt-out, claim, sent id, message map record, early report; now one
    // script for the first two and one for the other three, each shared by the jobs of a turn
    // (store/sent-parts.ts).
    expect(roundTrips(commands)).toBeLessThanOrEqual(2);
    expect(commands.map((c) => c.name)).toEqual(["evalsha", "evalsha"]);
  });

  it("applies a delivery report that arrived before the message was recorded, once", async () => {
    answers = ["SMearly"];
    const report = { kind: "status", providerMessageId: "SMearly", status: "failed", reason: "unreachable" };
    await readMap.holdEarly(GATEWAY, "SMearly", report, EARLY_REPORT_TTL_SECONDS);
    const { id, result } = await run("early");
    expect(result?.providerMessageIds).toEqual(["SMearly"]);
    expect(await readMap.takeEarly(GATEWAY, "SMearly")).toBeUndefined();
    const error = await toXmpp.getJob(deliveryErrorJobId(id));
    expect(error?.data).toMatchObject({ kind: "error", text: expect.stringContaining("unreachable") });
    expect(roundTrips(commands)).toBeLessThanOrEqual(2);
  });

  it("does not send to a recipient who opted out, and leaves no claim behind", async () => {
    await optOuts.record(GATEWAY, FROM, "+15550009999", "inbound");
    const { id, failed } = await run("opted-out", { to: "+15550009999", contactLocalpart: "+15550009999" });
    expect(failed).toBeDefined();
    expect(requests).toEqual([]);
    expect(await redis.exists(sentKey(id, 0))).toBe(0);
    expect((await toXmpp.getJob(errorJobId(id)))?.data).toMatchObject({ condition: "forbidden" });
  });

  it("does not resend a part a crashed attempt had in flight", async () => {
    const id = outboundJobId("alice@localhost", "in-flight");
    await redis.set(sentKey(id, 0), "in-flight:crashed-attempt", "EX", 600);
    logLines.length = 0;
    const { result } = await run("in-flight");
    expect(result).toEqual({ providerMessageIds: [""], uncertainParts: 1 });
    expect(requests).toEqual([]);
    expect(logLines.join("\n")).toContain("not resending");
  });

  it("sends the parts of a long message in order, skipping a part already recorded", async () => {
    const id = outboundJobId("alice@localhost", "parts");
    await redis.set(sentKey(id, 1), "SMrecorded", "EX", 600);
    answers = ["SMp1", "SMp3"];
    const body = "one two three four five six seven eight nine ten eleven";
    const { result } = await run("parts", { body });
    expect(result?.providerMessageIds).toEqual(["SMp1", "SMrecorded", "SMp3"]);
    expect(requests.map((r) => r.messageId)).toEqual([`${id}-1`, `${id}-3`]);
    expect(await redis.get(sentKey(id, 2))).toBe("SMp3");
    expect(await readMap.get(GATEWAY, "SMp3")).toMatchObject({ jobId: id, parts: 3 });
  });

  it("releases the claim when the provider refuses, so the retry sends", async () => {
    answers = [new RetryableError("provider busy"), "SMretried"];
    const { id, result } = await run("retry");
    expect(result).toEqual({ providerMessageIds: ["SMretried"], uncertainParts: 0 });
    expect(requests).toHaveLength(2);
    expect(await redis.get(sentKey(id, 0))).toBe("SMretried");
  });

  it("releases the claim when the message is refused before sending", async () => {
    const { id, failed } = await run("refused", { replaces: "older" }, { corrections: "refuse" });
    expect(failed).toBeDefined();
    expect(requests).toEqual([]);
    expect(await redis.exists(sentKey(id, 0))).toBe(0);
  });

  /** A job over the caps failed for good with `text`, sent nothing and left no claim. */
  const refusedForGood = async (outcome: { id: string; failed?: string }, text: RegExp) => {
    expect(outcome.failed).toMatch(text);
    expect(requests).toEqual([]);
    expect(await redis.exists(sentKey(outcome.id, 0))).toBe(0);
    expect((await toXmpp.getJob(errorJobId(outcome.id)))?.data).toMatchObject({
      condition: "not-acceptable",
      text: expect.stringMatching(text),
    });
  };

  it("fails a queued job longer than the cap for good, with the intake's text", async () => {
    // Queued before the caps were tightened (or by an older version): the worker checks again.
    await refusedForGood(
      await run("over-length", { body: "x ".repeat(60) }),
      /120 characters long; this gateway sends at most 100 characters \(3 parts\)/,
    );
  });

  it("fails a queued job of more parts than the cap for good", async () => {
    const caps = { maxBodyLength: 100, maxParts: 2, maxSegments: 10 };
    await refusedForGood(
      await run("over-parts", { body: "word ".repeat(19) }, { caps }),
      /as 5 text messages; this gateway sends at most 2 parts of 20 characters/,
    );
  });

  it("takes back a claim Redis stored without answering, and sends the part once", async () => {
    // The first pipeline runs in Redis, then its answer is lost (a restart at the wrong moment).
    const flaky = faultyPipelines(workerRedis, (n) => (n === 1 ? "lose-answer" : "ok"));
    answers = ["SMtaken-back"];
    logLines.length = 0;
    const { id, result } = await run("lost-answer", {}, { store: flaky.redis });
    expect(flaky.made()).toBeGreaterThanOrEqual(2);
    expect(logLines.join("\n")).toContain("will retry");
    expect(result).toEqual({ providerMessageIds: ["SMtaken-back"], uncertainParts: 0 });
    expect(requests.map((r) => r.messageId)).toEqual([id]);
    expect(await redis.get(sentKey(id, 0))).toBe("SMtaken-back");
  });

  it("records the id of a part the provider accepted when Redis failed before recording it", async () => {
    // The second pipeline (the one recording the id) never reaches Redis.
    const flaky = faultyPipelines(workerRedis, (n) => (n === 2 ? "not-sent" : "ok"));
    answers = ["SMaccepted"];
    logLines.length = 0;
    const { id, result } = await run("record-later", {}, { store: flaky.redis });
    expect(flaky.made()).toBeGreaterThanOrEqual(3);
    expect(result).toEqual({ providerMessageIds: ["SMaccepted"], uncertainParts: 0 });
    expect(requests.map((r) => r.messageId)).toEqual([id]);
    expect(await redis.get(sentKey(id, 0))).toBe("SMaccepted");
    expect(await readMap.get(GATEWAY, "SMaccepted")).toMatchObject({ jobId: id, parts: 1 });
    expect(await toXmpp.getJob(errorJobId(id))).toBeUndefined();
  });
});
