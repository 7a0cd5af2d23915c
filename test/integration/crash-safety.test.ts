/**
 * Crash safety of the outbound worker, with the worker role as a real child process
 * (`xmpp-gateway start --role worker`), real Redis and the Twilio stand-in.
 *
 * The kill is deterministic: the stand-in holds its answer to the send request, the test SIGKILLs
 * the worker once the request has reached the stand-in (Twilio "accepted" it), and only then lets
 * the answer go. A short lockDurationMs / stalledIntervalMs (config) makes BullMQ hand the
 * crashed job to the next worker within a second or two.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { outboundJobId } from "../../src/core/pipeline/jobs.js";
import { Producer } from "../../src/queue/producer.js";
import { storeKey } from "../../src/store/keys.js";
import { outboundJob } from "../harness/outbound-job.js";
import { type ManagedProcess, makeTempDir, spawnManaged } from "../harness/process.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";
import { startTwilioStandIn, type TwilioStandIn, twilioSpecPath } from "../harness/twilio-standin.js";
import { waitFor, withTimeout } from "../harness/wait.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
const ALICE_NUMBER = "+15550001111";

describe.skipIf(!twilioSpecPath())("outbound worker crash safety (SIGKILL)", () => {
  let standIn: TwilioStandIn;
  let redis: Redis;
  let producer: Producer;
  let queue: Queue;
  let configFile: string;
  const prefix = uniquePrefix("crash");
  const workers: ManagedProcess[] = [];

  beforeAll(async () => {
    standIn = await startTwilioStandIn();
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
    producer = new Producer(redis, {
      prefix,
      outboundAttempts: 3,
      deliveryAttempts: 3,
      keepCompleted: 100,
      dedupTtlSeconds: 3600,
    });
    queue = new Queue("outbound-sms", { connection: redis, prefix: `{${prefix}}` });
    const dir = makeTempDir("crash");
    configFile = join(dir, "gateway.yaml");
    writeFileSync(
      configFile,
      stringify({
        redis: { url: redisUrl(), prefix },
        log: { level: "debug" },
        queue: { lockDurationMs: 1000, stalledIntervalMs: 500, outboundBackoffMs: 100 },
        allowedDomains: ["localhost"],
        gateways: [
          {
            id: "sms",
            domain: "sms.localhost",
            secret: "unused-by-the-worker-role",
            adapter: "twilio",
            twilio: { accountSid: ACCOUNT_SID, authToken: "crash-test-token", apiBaseUrl: standIn.baseUrl },
            users: [{ jid: "alice@localhost", number: ALICE_NUMBER }],
          },
        ],
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop(5000)));
    await queue?.close();
    await producer?.close();
    redis?.disconnect();
    await standIn?.stop();
  }, 60_000);

  const startWorker = () => {
    const w = spawnManaged(
      "worker",
      process.execPath,
      ["--import", "tsx", join(ROOT, "src/cli.ts"), "start", "--role", "worker", "--config", configFile],
      { cwd: ROOT },
    );
    workers.push(w);
    return w;
  };

  const job = (stanzaId: string, body: string) => outboundJob(stanzaId, { from: ALICE_NUMBER, body });

  const completed = (id: string) =>
    waitFor(
      async () => {
        // State first, then the job: a job read before it completed has no return value yet.
        if ((await queue.getJobState(id)) !== "completed") return undefined;
        return queue.getJob(id);
      },
      { timeoutMs: 30_000, description: `job ${id} to complete` },
    );

  it("does not resend a message the provider accepted when the worker died before completing the job", async () => {
    let release: () => void = () => undefined;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    standIn.enqueueResponse({ status: 201, hold });
    const first = startWorker();
    const body = `crash ${prefix}`;
    const id = outboundJobId("alice@localhost", "crash-1");
    expect(await producer.enqueueOutbound(job("crash-1", body), id)).toBe("enqueued");

    // The request is at the provider; its answer is held: the worker is mid-job.
    await standIn.waitForRequest((r) => r.form.Body === body, 30_000);
    expect(await (await queue.getJob(id))?.getState()).toBe("active");
    process.kill(-first.pid, "SIGKILL");
    const exit = await withTimeout(first.exited, 10_000, "the worker to die");
    expect(exit.signal).toBe("SIGKILL");
    release();

    const second = startWorker();
    const done = await completed(id);
    expect(standIn.requests.filter((r) => r.form.Body === body)).toHaveLength(1);
    expect(done.returnvalue).toMatchObject({ uncertainParts: 1 });
    expect(second.output()).toContain("not resending");
  }, 90_000);

  it("completes a retried job whose provider id was recorded, without a provider request", async () => {
    if (!workers.some((w) => w.isRunning())) startWorker();
    const body = `recorded ${prefix}`;
    const id = outboundJobId("alice@localhost", "crash-2");
    const sid = `SM${"ab".repeat(16)}`;
    // What a worker killed between recording the id and completing the job leaves behind.
    await redis.set(storeKey(prefix, "sent", "sms", id, "0"), sid, "EX", 600);
    await producer.enqueueOutbound(job("crash-2", body), id);
    const done = await completed(id);
    expect(done.returnvalue).toEqual({ providerMessageIds: [sid], uncertainParts: 0 });
    expect(standIn.requests.filter((r) => r.form.Body === body)).toEqual([]);
  }, 60_000);
});
