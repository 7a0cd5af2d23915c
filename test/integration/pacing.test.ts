/**
 * Pacing per sender number, on real Redis with two worker processes: 100 messages enqueued at
 * once from one number leave at the configured pace (measured at the provider stand-in), all
 * delivered once, none failed, although each job may make only two attempts (waiting for the
 * number's pace is no attempt).
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboundJobId } from "../../src/core/pipeline/jobs.js";
import { bullPrefix, outboundQueueName } from "../../src/queue/names.js";
import { Producer } from "../../src/queue/producer.js";
import {
  chaosConfig,
  GATEWAY_ID,
  type GatewayProcess,
  queuesDrained,
  type SmsSink,
  spawnGateway,
  startSmsSink,
  writeConfigFile,
} from "../harness/chaos.js";
import { outboundJob } from "../harness/outbound-job.js";
import { freePort, LOOPBACK } from "../harness/ports.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";
import { waitFor } from "../harness/wait.js";

const MESSAGES = 100;
const PER_SECOND = 5;
const BURST = 3;
const INTERVAL_MS = 1000 / PER_SECOND;
/** Slack for the time between a send taking its slot and reaching the stand-in: one interval (under a full test run a fresh process's first request, which opens its connection, arrived 150 ms late). */
const SLACK_MS = INTERVAL_MS;

describe("pacing per sender number", () => {
  const prefix = uniquePrefix("pacing");
  let sink: SmsSink;
  let redis: Redis;
  let workers: GatewayProcess[] = [];

  beforeAll(async () => {
    sink = await startSmsSink();
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
    const config = chaosConfig({
      redisUrl: redisUrl(),
      prefix,
      xmppService: `xmpp://${LOOPBACK}:${await freePort()}`,
      sinkUrl: sink.url,
      httpListen: `${LOOPBACK}:${await freePort()}`,
      queue: { outboundAttempts: 2, outboundConcurrency: 20 },
    });
    const [gateway] = config.gateways as Record<string, unknown>[];
    if (gateway) gateway.pacing = { perSecond: PER_SECOND, burst: BURST };
    const file = writeConfigFile(config);
    workers = [spawnGateway(file, ["--role", "worker"]), spawnGateway(file, ["--role", "worker"])];
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await sink?.close();
    await redis?.quit();
  });

  it("sends a burst of 100 from one number at its pace, across two worker processes, none failed", async () => {
    const producer = new Producer(redis, {
      prefix,
      outboundAttempts: 2,
      deliveryAttempts: 1,
      keepCompleted: 1000,
      dedupTtlSeconds: 3600,
    });
    const bodies = Array.from({ length: MESSAGES }, (_, i) => `paced-${i}`);
    await Promise.all(
      bodies.map((body, i) =>
        producer.enqueueOutbound(outboundJob(`p${i}`, { body }), outboundJobId("alice@localhost", `p${i}`)),
      ),
    );
    await waitFor(() => sink.arrivals.length >= MESSAGES || undefined, {
      timeoutMs: (MESSAGES / PER_SECOND) * 1000 + 20_000,
      intervalMs: 100,
      description: `${MESSAGES} sends at the stand-in`,
    });
    await queuesDrained(redis, prefix);

    // Every message accepted once, nothing refused by the provider.
    expect(sink.arrivals.every((a) => a.status === 201)).toBe(true);
    expect(bodies.every((b) => sink.accepted.get(b) === 1)).toBe(true);
    expect(sink.arrivals).toHaveLength(MESSAGES);

    // The burst, then one per interval: between any two sends i < j at least (j - i - burst + 1) intervals.
    const times = sink.arrivals.map((a) => a.at).sort((a, b) => a - b);
    const first = times[0] ?? 0;
    const early: string[] = [];
    times.forEach((ti, i) => {
      for (let j = i + BURST; j < times.length; j++) {
        const due = (j - i - BURST + 1) * INTERVAL_MS;
        const tj = times[j] ?? 0;
        if (tj - ti < due - SLACK_MS) early.push(`sends ${i}..${j}: ${tj - ti} ms, due ${due} ms`);
      }
    });
    expect(early.slice(0, 10)).toEqual([]);
    // ...and at that pace, not slower: the whole run within a second of its due time.
    const span = (times.at(-1) ?? 0) - first;
    expect(span).toBeGreaterThanOrEqual((MESSAGES - BURST) * INTERVAL_MS - SLACK_MS);
    expect(span).toBeLessThan((MESSAGES - BURST) * INTERVAL_MS + 1000);
    // Inter-send gaps after the burst average the interval, and no second holds more than the pace allows.
    const gaps = times.slice(BURST).map((t, i) => t - (times[i + BURST - 1] ?? t));
    const mean = gaps.reduce((a, g) => a + g, 0) / gaps.length;
    expect(mean).toBeGreaterThanOrEqual(INTERVAL_MS - 2);
    const crowded = times.filter(
      (t) => times.filter((u) => u >= t && u < t + 1000).length > PER_SECOND + BURST,
    );
    expect(crowded).toEqual([]);

    // None failed, and both processes sent some.
    const queue = new Queue(outboundQueueName(GATEWAY_ID), { connection: redis, prefix: bullPrefix(prefix) });
    try {
      const counts = await queue.getJobCounts("completed", "failed");
      expect(counts).toEqual({ completed: MESSAGES, failed: 0 });
    } finally {
      await queue.close();
    }
    const sentBy = workers.map((w) => w.lines.filter((l) => l.includes("message sent")).length);
    expect(sentBy.every((n) => n > 0)).toBe(true);
    expect(sentBy.reduce((a, b) => a + b, 0)).toBe(MESSAGES);
  }, 90_000);
});
