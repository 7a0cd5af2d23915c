/**
 * Pacing per sender number is on by default: a Twilio gateway whose config has no `pacing` block
 * paces each number at the adapter's documented default (a long code: 1 a second, burst 3). A
 * burst of 6 from one number, enqueued at once, reaches the provider stand-in over at least 3
 * seconds, timed by the stand-in's own arrival timestamps, all sent once, none failed. Measured
 * from just before the enqueue: the first slot is booked after it, and a send arrives after its
 * slot, so a late start (the first request opens the connection) can only make sends later.
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboundJobId } from "../../src/core/pipeline/jobs.js";
import { adapters } from "../../src/main.js";
import { bullPrefix, outboundQueueName } from "../../src/queue/names.js";
import { Producer } from "../../src/queue/producer.js";
import {
  ACCOUNT_SID,
  ALICE_NUMBER,
  AUTH_TOKEN,
  GATEWAY_ID,
  queuesDrained,
  type SmsSink,
  startSmsSink,
} from "../harness/chaos.js";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { messageCounts } from "../harness/message-counts.js";
import { outboundJob } from "../harness/outbound-job.js";
import { redisUrl } from "../harness/redis.js";
import { waitFor } from "../harness/wait.js";

const MESSAGES = 6;
/** Twilio's default, as the README's configuration reference documents it. */
const DEFAULT = { perSecond: 1, burst: 3 };
const INTERVAL_MS = 1000 / DEFAULT.perSecond;
/** Only for rounding: a send reaches the stand-in after its slot, never before. */
const SLACK_MS = 5;

describe("pacing per sender number by default", () => {
  let sink: SmsSink;
  let gw: TestGateway;
  let redis: Redis;

  beforeAll(async () => {
    sink = await startSmsSink();
    gw = await startTestGateway({
      adapterPacing: true,
      roles: new Set(["worker"]),
      config: {
        allowedDomains: ["localhost"],
        queue: { outboundAttempts: 2, outboundConcurrency: 20 },
        gateways: [
          {
            id: GATEWAY_ID,
            domain: "sms.localhost",
            secret: "component-secret-unused",
            adapter: "twilio",
            twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: sink.url },
            users: [{ jid: "alice@localhost", number: ALICE_NUMBER }],
          },
        ],
      },
    });
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await sink?.close();
    redis?.disconnect();
  });

  it("documents a long code's pace as the Twilio adapter's default", () => {
    expect(adapters.twilio?.pacing).toEqual(DEFAULT);
  });

  it("sends a burst from one number at the default pace when the config sets none", async () => {
    const producer = new Producer(redis, {
      prefix: gw.prefix,
      outboundAttempts: 2,
      deliveryAttempts: 1,
      keepCompleted: 100,
      dedupTtlSeconds: 3600,
    });
    const bodies = Array.from({ length: MESSAGES }, (_, i) => `default-paced-${i}`);
    const start = Date.now();
    try {
      await Promise.all(
        bodies.map((body, i) =>
          producer.enqueueOutbound(outboundJob(`d${i}`, { body }), outboundJobId("alice@localhost", `d${i}`)),
        ),
      );
      await waitFor(() => sink.arrivals.length >= MESSAGES || undefined, {
        timeoutMs: MESSAGES * INTERVAL_MS + 15_000,
        intervalMs: 50,
        description: `${MESSAGES} sends at the stand-in`,
      });
      await queuesDrained(redis, gw.prefix);
    } finally {
      await producer.close();
    }

    expect(sink.arrivals.every((a) => a.status === 201)).toBe(true);
    expect(bodies.every((b) => sink.accepted.get(b) === 1)).toBe(true);
    // The burst goes at once, then one per interval: send j arrives at least (j - burst + 1)
    // intervals after the start, so the 6 take at least 3 seconds (unpaced: milliseconds).
    const times = sink.arrivals.map((a) => a.at).sort((a, b) => a - b);
    const early = times
      .map((t, j) => ({ j, after: t - start, due: Math.max(0, j - DEFAULT.burst + 1) * INTERVAL_MS }))
      .filter(({ after, due }) => after < due - SLACK_MS);
    expect(early).toEqual([]);
    expect((times.at(-1) ?? 0) - start).toBeGreaterThanOrEqual(
      (MESSAGES - DEFAULT.burst) * INTERVAL_MS - SLACK_MS,
    );

    const queue = new Queue(outboundQueueName(GATEWAY_ID), {
      connection: redis,
      prefix: bullPrefix(gw.prefix),
    });
    try {
      const counts = await waitFor(async () => {
        const c = await messageCounts(queue);
        return c.completed + c.failed >= MESSAGES && c;
      });
      expect(counts).toMatchObject({ completed: MESSAGES, failed: 0 });
    } finally {
      await queue.close();
    }
  }, 60_000);
});
