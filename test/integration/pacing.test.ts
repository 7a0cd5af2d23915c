/**
 * Pacing per sender number, on real Redis with two worker processes: 100 messages enqueued at
 * once from one number leave at the configured pace (measured at the provider stand-in), all
 * delivered once, none failed, although each job may make only two attempts (waiting for the
 * number's pace is no attempt). First each process warms up with a few sends from bob, whose
 * number has `pacing: off`: a fresh process's first request (opening its connection) arrives
 * late, which would make the sends after it look crowded.
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
import { messageCounts } from "../harness/message-counts.js";
import { outboundJob } from "../harness/outbound-job.js";
import { freePort, LOOPBACK } from "../harness/ports.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";
import { waitFor } from "../harness/wait.js";

const MESSAGES = 100;
/** Warm-up sends from bob (unpaced), before the burst: enough for both processes to take some. */
const WARM_UP = 40;
const BOB_NUMBER = "+15550002222";
const PER_SECOND = 5;
const BURST = 3;
const INTERVAL_MS = 1000 / PER_SECOND;
/** Only for rounding: a send reaches the stand-in after its slot, never before. */
const ROUNDING_MS = 5;

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
    if (gateway) {
      gateway.pacing = { perSecond: PER_SECOND, burst: BURST };
      gateway.users = [
        ...(gateway.users as object[]),
        { jid: "bob@localhost", number: BOB_NUMBER, pacing: "off" },
      ];
    }
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
    const warm = Array.from({ length: WARM_UP }, (_, i) =>
      producer.enqueueOutbound(
        outboundJob(`w${i}`, { from: BOB_NUMBER, senderBare: "bob@localhost", body: `warm-${i}` }),
        outboundJobId("bob@localhost", `w${i}`),
      ),
    );
    await Promise.all(warm);
    await waitFor(() => sink.arrivals.length >= WARM_UP || undefined, {
      timeoutMs: 20_000,
      description: `${WARM_UP} warm-up sends at the stand-in`,
    });
    const warmedUp = sink.arrivals.length;
    const bodies = Array.from({ length: MESSAGES }, (_, i) => `paced-${i}`);
    const start = Date.now();
    await Promise.all(
      bodies.map((body, i) =>
        producer.enqueueOutbound(outboundJob(`p${i}`, { body }), outboundJobId("alice@localhost", `p${i}`)),
      ),
    );
    const paced = () => sink.arrivals.slice(warmedUp);
    await waitFor(() => paced().length >= MESSAGES || undefined, {
      timeoutMs: (MESSAGES / PER_SECOND) * 1000 + 20_000,
      intervalMs: 100,
      description: `${MESSAGES} sends at the stand-in`,
    });
    await queuesDrained(redis, prefix);

    // Every message accepted once, nothing refused by the provider.
    expect(sink.arrivals.every((a) => a.status === 201)).toBe(true);
    expect(bodies.every((b) => sink.accepted.get(b) === 1)).toBe(true);
    expect(paced()).toHaveLength(MESSAGES);
    expect(paced().every((a) => a.body.startsWith("paced-"))).toBe(true);

    // The burst, then one per interval: the j-th send reaches the stand-in no sooner than
    // (j - burst + 1) intervals after the enqueue began (the first slot is booked after it, and a
    // send arrives after its slot; measured from the start, a send held up by a loaded machine
    // cannot make the ones after it look early, as it could measured from each other).
    const times = paced()
      .map((a) => a.at)
      .sort((a, b) => a - b);
    const first = times[0] ?? 0;
    const early: string[] = [];
    times.forEach((t, j) => {
      const due = Math.max(0, j - BURST + 1) * INTERVAL_MS;
      if (t - start < due - ROUNDING_MS) early.push(`send ${j}: ${t - start} ms, due ${due} ms`);
    });
    expect(early.slice(0, 10)).toEqual([]);
    // ...and at that pace, not slower: the whole run within a second of its due time.
    const span = (times.at(-1) ?? 0) - first;
    expect((times.at(-1) ?? 0) - start).toBeGreaterThanOrEqual(
      (MESSAGES - BURST) * INTERVAL_MS - ROUNDING_MS,
    );
    expect(span).toBeLessThan((MESSAGES - BURST) * INTERVAL_MS + 1000);
    // Inter-send gaps average the interval once the backlog waits (the second half: a burst send
    // picked up late, as jobs are still being enqueued, legitimately shortens the gap after it),
    // and no second holds more than the pace allows.
    const steady = MESSAGES / 2;
    const gaps = times.slice(steady).map((t, i) => t - (times[i + steady - 1] ?? t));
    const mean = gaps.reduce((a, g) => a + g, 0) / gaps.length;
    expect(mean).toBeGreaterThanOrEqual(INTERVAL_MS - 2);
    const crowded = times.filter(
      (t) => times.filter((u) => u >= t && u < t + 1000).length > PER_SECOND + BURST,
    );
    expect(crowded).toEqual([]);

    // None failed, and both processes sent some.
    const queue = new Queue(outboundQueueName(GATEWAY_ID), { connection: redis, prefix: bullPrefix(prefix) });
    try {
      const counts = await waitFor(async () => {
        const c = await messageCounts(queue);
        return c.completed + c.failed >= MESSAGES + WARM_UP && c;
      });
      expect(counts).toMatchObject({ completed: MESSAGES + WARM_UP, failed: 0 });
    } finally {
      await queue.close();
    }
    // Alice's jobs only, not bob's warm-up.
    const aliceJobs = bodies.map((_, i) => outboundJobId("alice@localhost", `p${i}`));
    const isAlices = (line: string) => aliceJobs.some((id) => line.includes(id));
    const sentBy = workers.map(
      (w) => w.lines.filter((l) => l.includes("message sent") && isAlices(l)).length,
    );
    expect(sentBy.every((n) => n > 0)).toBe(true);
    expect(sentBy.reduce((a, b) => a + b, 0)).toBe(MESSAGES);
  }, 90_000);
});
