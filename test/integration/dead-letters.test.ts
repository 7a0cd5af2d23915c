/**
 * Dead letters and replay: an outbound job that exhausted its attempts stays in the failed set with
 * its reason; `xmpp-gateway queue failed` lists it, `queue retry` replays it once the fault is
 * gone, `queue purge --older-than` cleans up. The worker runs in-process, the CLI as an operator
 * runs it, on real Redis and the Twilio stand-in.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { outboundJobId } from "../../src/core/pipeline/jobs.js";
import { Producer } from "../../src/queue/producer.js";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { outboundJob } from "../harness/outbound-job.js";
import { makeTempDir } from "../harness/process.js";
import { redisUrl } from "../harness/redis.js";
import { startTwilioStandIn, type TwilioStandIn, twilioSpecPath } from "../harness/twilio-standin.js";
import { waitFor } from "../harness/wait.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
const TOKEN = "dead-letter-token-never-printed-4411";
const ALICE_NUMBER = "+15550001111";

function cli(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", join(ROOT, "src/cli.ts"), ...args],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe.skipIf(!twilioSpecPath())("dead letters: queue failed | retry | purge", () => {
  let standIn: TwilioStandIn;
  let gw: TestGateway;
  let redis: Redis;
  let producer: Producer;
  let queue: Queue;
  let configFile: string;

  beforeAll(async () => {
    standIn = await startTwilioStandIn();
    const config = {
      allowedDomains: ["localhost"],
      queue: { outboundAttempts: 2, outboundBackoffMs: 50 },
      gateways: [
        {
          id: "sms",
          domain: "sms.localhost",
          secret: "component-secret-unused",
          adapter: "twilio",
          twilio: { accountSid: ACCOUNT_SID, authToken: TOKEN, apiBaseUrl: standIn.baseUrl },
          users: [{ jid: "alice@localhost", number: ALICE_NUMBER }],
        },
      ],
    };
    gw = await startTestGateway({ config, roles: new Set(["worker"]) });
    configFile = join(makeTempDir("dead-letters"), "gateway.yaml");
    writeFileSync(configFile, stringify({ ...config, redis: { url: redisUrl(), prefix: gw.prefix } }));
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
    producer = new Producer(redis, {
      prefix: gw.prefix,
      outboundAttempts: 2,
      deliveryAttempts: 2,
      keepCompleted: 100,
      dedupTtlSeconds: 3600,
    });
    queue = new Queue("outbound-sms", { connection: redis, prefix: `{${gw.prefix}}` });
  }, 120_000);

  afterAll(async () => {
    await queue?.close();
    await producer?.close();
    redis?.disconnect();
    await gw?.stop();
    await standIn?.stop();
  }, 60_000);

  const send = async (stanzaId: string, body: string) => {
    const id = outboundJobId("alice@localhost", stanzaId);
    await producer.enqueueOutbound(outboundJob(stanzaId, { from: ALICE_NUMBER, body }), id);
    return id;
  };

  const inState = (id: string, state: string) =>
    waitFor(async () => (await (await queue.getJob(id))?.getState()) === state, {
      timeoutMs: 20_000,
      description: `job ${id} to be ${state}`,
    });

  it("lists a job that exhausted its attempts, and replays it once the fault is gone", async () => {
    standIn.enqueueResponse({ status: 503 });
    standIn.enqueueResponse({ status: 503 });
    const body = `dead letter ${gw.prefix}`;
    const id = await send("dl-1", body);
    await inState(id, "failed");
    expect(standIn.requests.filter((r) => r.form.Body === body)).toHaveLength(2);

    const listed = await cli(["queue", "failed", "--config", configFile]);
    expect(listed.code).toBe(0);
    const line = listed.stdout.split("\n").find((l) => l.startsWith(id));
    expect(line).toBeDefined();
    expect(line).toContain("outbound-sms");
    expect(line).toContain("attempts=2");
    expect(line).toMatch(/HTTP 503/);
    expect(listed.stdout).toContain("1 failed job(s)");
    expect((await cli(["queue", "failed", "--gateway", "sms", "--config", configFile])).stdout).toContain(id);
    const unknown = await cli(["queue", "failed", "--gateway", "nope", "--config", configFile]);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('unknown gateway "nope"');

    // The fault is gone (the stand-in answers 201 again): the replay sends it, once.
    const retried = await cli(["queue", "retry", id, "--config", configFile]);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain(`retried ${id}`);
    await inState(id, "completed");
    const requests = standIn.requests.filter((r) => r.form.Body === body);
    expect(requests).toHaveLength(3);
    expect(requests[2]?.response.status).toBe(201);
    expect((await cli(["queue", "failed", "--config", configFile])).stdout).toContain("0 failed job(s)");
    expect((await cli(["queue", "retry", id, "--config", configFile])).code).toBe(1);
    expect(listed.stdout + listed.stderr + retried.stdout).not.toContain(TOKEN);
  }, 180_000);

  it("retries every failed job with --all and purges by age", async () => {
    standIn.enqueueResponse({ status: 400, code: 21211 });
    const a = await send("dl-2", `permanent ${gw.prefix}`);
    await inState(a, "failed");
    standIn.enqueueResponse({ status: 400, code: 21211 });
    const all = await cli(["queue", "retry", "--all", "--config", configFile]);
    expect(all.stdout).toContain("1 job(s) retried");
    await waitFor(
      () => standIn.requests.filter((r) => r.form.Body === `permanent ${gw.prefix}`).length === 2,
      {
        description: "the replayed request",
      },
    );
    await inState(a, "failed");

    const young = await cli(["queue", "purge", "--older-than", "7d", "--config", configFile]);
    expect(young.stdout).toContain("0 failed job(s) older than 7d removed");
    expect((await cli(["queue", "failed", "--config", configFile])).stdout).toContain(a);
    const bad = await cli(["queue", "purge", "--older-than", "seven days", "--config", configFile]);
    expect(bad.code).toBe(64);
    const purged = await cli(["queue", "purge", "--older-than", "0s", "--config", configFile]);
    expect(purged.stdout).toContain("1 failed job(s) older than 0s removed");
    expect((await cli(["queue", "failed", "--config", configFile])).stdout).toContain("0 failed job(s)");
  }, 180_000);

  it("prints job data with its control characters escaped (a body holding ESC[2J cannot clear the screen)", async () => {
    standIn.enqueueResponse({ status: 400, code: 21211 });
    const id = await send(`esc-\u001b[2J-${gw.prefix}`, "\u001b[2J\u001b]0;owned\u0007 hello");
    await inState(id, "failed");
    const listed = await cli(["queue", "failed", "--config", configFile]);
    expect(listed.code).toBe(0);
    const line = listed.stdout.split("\n").find((l) => l.startsWith(id)) ?? "";
    expect(line).toContain('"\\x1b[2J\\x1b]0;owned\\x07 hello"');
    expect(line).toContain("stanza esc-\\x1b[2J-");
    const controls = [...listed.stdout].filter((c) => {
      const n = c.codePointAt(0) ?? 0;
      return (n < 0x20 && c !== "\n" && c !== "\t") || (n >= 0x7f && n <= 0x9f);
    });
    expect(controls).toEqual([]);
  }, 120_000);
});
