/**
 * Failed jobs have a bounded life and size (real Redis, the real outbound worker): at most
 * keepFailed.count per queue, none older than keepFailed.ageSeconds, and a refused message keeps
 * its ids, reason, length and first 200 characters instead of its whole body. Measured: the
 * Redis memory of 100 refused 64 KB messages to an opted-out number (the attack that filled 7 MB
 * in 8 s).
 */
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { PermanentError, RetryableError } from "../../src/core/errors.js";
import { KEPT_BODY_CHARS } from "../../src/core/pipeline/dead-letter.js";
import { QueueAdmin } from "../../src/queue/admin.js";
import { scriptedAdapter } from "../harness/scripted-adapter.js";
import { waitFor } from "../harness/wait.js";
import { startWorkerRig, type WorkerRig } from "../harness/worker-rig.js";

/** Bytes Redis uses for every key of the prefix (MEMORY USAGE, all samples). */
async function prefixBytes(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number }> {
  let cursor = "0";
  let keys = 0;
  let bytes = 0;
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `{${prefix}}*`, "COUNT", 1000);
    cursor = next;
    for (const key of batch) {
      keys++;
      bytes += Number((await redis.call("MEMORY", "USAGE", key, "SAMPLES", "0")) ?? 0);
    }
  } while (cursor !== "0");
  return { keys, bytes };
}

describe("dead letters are bounded", () => {
  let rig: WorkerRig | undefined;
  afterEach(async () => {
    await rig?.stop();
    rig = undefined;
  });

  it("keeps at most keepFailed.count failed jobs per queue, the newest", async () => {
    const adapter = scriptedAdapter(() => new PermanentError("invalid number", 21211, "item-not-found"));
    rig = await startWorkerRig({
      name: "dl-count",
      adapter,
      attempts: 1,
      keepFailed: { ageSeconds: 3600, count: 3 },
    });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = await rig.send(`count-${i}`, { body: `refused ${i}` });
      await rig.inState(id, "failed");
      ids.push(id);
    }
    const failed = await rig.outbound.getFailed();
    expect(failed.map((j) => j.id).sort()).toEqual(ids.slice(3).sort());
    expect(await rig.outbound.getJob(ids[0] ?? "")).toBeUndefined();
  });

  it("removes failed jobs older than keepFailed.ageSeconds (when another job of the queue fails)", async () => {
    const adapter = scriptedAdapter(() => new PermanentError("invalid number", 21211, "item-not-found"));
    rig = await startWorkerRig({
      name: "dl-age",
      adapter,
      attempts: 1,
      keepFailed: { ageSeconds: 1, count: 1000 },
    });
    const r = rig;
    const old = await r.send("age-old", { body: "old" });
    await r.inState(old, "failed");
    let n = 0;
    let latest = "";
    await waitFor(
      async () => {
        latest = await r.send(`age-${++n}`, { body: "new" });
        await r.inState(latest, "failed");
        return (await r.outbound.getJob(old)) === undefined;
      },
      { timeoutMs: 15_000, intervalMs: 300, description: "the old failed job to be removed" },
    );
    expect(await r.outbound.getJob(latest)).toBeDefined();
  });

  it("a refused message keeps ids, reason, length and its first characters, not its body", async () => {
    const adapter = scriptedAdapter(() => "SM1");
    rig = await startWorkerRig({ name: "dl-refused", adapter, attempts: 8 });
    await rig.optOuts.record("sms", "+15550001111", "+15557654321", "inbound");
    const body = "x".repeat(64 * 1024);
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(await rig.send(`refused-${i}`, { body: `${i} ${body}` }));
    for (const id of ids) await rig.inState(id, "failed");
    expect(adapter.sent).toEqual([]);

    const jobKey = `{${rig.prefix}}:outbound-sms:${ids[7]}`;
    const jobBytes = Number(await rig.redis.call("MEMORY", "USAGE", jobKey, "SAMPLES", "0"));
    const { keys, bytes } = await prefixBytes(rig.redis, rig.prefix);
    process.stdout.write(
      `MEASURE refused-jobs: 100 refused 64 KB messages -> ${keys} keys, ${bytes} bytes in Redis (one failed job: ${jobBytes} bytes)\n`,
    );
    const job = await rig.outbound.getJob(ids[7] ?? "");
    expect(job?.data).toMatchObject({
      stanzaId: "refused-7",
      senderJid: "alice@localhost/phone",
      to: "+15557654321",
      from: "+15550001111",
      bodyChars: body.length + 2,
    });
    expect(job?.data.body).toBe(`7 ${body}`.slice(0, KEPT_BODY_CHARS));
    expect(job?.failedReason).toMatch(/STOP|opted out/i);
    // A failed job no longer grows with its body: about 2 KB whatever was sent (64 KB here), and
    // all the 100 messages left (jobs, error stanzas for the sender, seen markers, BullMQ's event
    // stream) stays under 1 MB, where the bodies alone were 6.5 MB.
    expect(jobBytes).toBeLessThan(4 * 1024);
    expect(bytes).toBeLessThan(1024 * 1024);
  }, 60_000);

  it("a refused job cannot be replayed (queue retry says why); a job that ran out of attempts keeps its body", async () => {
    let fail: Error = new PermanentError("invalid number", 21211, "item-not-found");
    const adapter = scriptedAdapter(() => fail);
    rig = await startWorkerRig({ name: "dl-replay", adapter, attempts: 2 });
    const long = "y".repeat(1000);
    const refused = await rig.send("replay-refused", { body: long });
    await rig.inState(refused, "failed");
    fail = new RetryableError("HTTP 503");
    const exhausted = await rig.send("replay-exhausted", { body: long });
    await rig.inState(exhausted, "failed");
    expect((await rig.outbound.getJob(exhausted))?.data.body).toBe(long);
    expect((await rig.outbound.getJob(refused))?.data.body).toHaveLength(KEPT_BODY_CHARS);

    const admin = new QueueAdmin(rig.redis, rig.prefix, ["sms"]);
    try {
      const result = await admin.retry({ all: true });
      expect(result.retried).toEqual([exhausted]);
      expect(result.skipped).toEqual([
        { id: refused, why: expect.stringMatching(/first 200 of its 1000 characters/) },
      ]);
      // Even retried by other means, the cut body is not sent.
      await (await rig.outbound.getJob(refused))?.retry("failed");
      await waitFor(
        async () => /not sent again/.test((await rig?.outbound.getJob(refused))?.failedReason ?? ""),
        {
          description: "the refused job to fail again",
        },
      );
      expect(adapter.sent.filter((m) => m.body.length < 1000)).toEqual([]);
    } finally {
      await admin.close();
    }
  });
});
