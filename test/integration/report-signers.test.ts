/**
 * Delivery reports and the account that signed them, on the local Redis (unique prefix): a
 * report is applied only to a message sent with the account whose credentials verified it (the
 * gateway's own: no signer); a report held because its message was not recorded yet keeps its
 * signer; one self-service account can hold only so many such reports at a time.
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InboundStatusEvent } from "../../src/core/adapter.js";
import type { Logger } from "../../src/core/logger.js";
import { inboundIngester, type StatusOutcome } from "../../src/core/pipeline/inbound.js";
import { deliveryErrorJobId } from "../../src/core/pipeline/jobs.js";
import { plainRules } from "../../src/core/pipeline/network-rules.js";
import { takeAndApply } from "../../src/core/pipeline/reports.js";
import { bullPrefix, toXmppQueueName } from "../../src/queue/names.js";
import { Producer } from "../../src/queue/producer.js";
import { MessageMap, type SentRecord } from "../../src/store/message-map.js";
import { OptOutStore } from "../../src/store/optouts.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";

const GATEWAY = "sms";
const ANNA = `AC${"a".repeat(32)}`;
const BEA = `AC${"b".repeat(32)}`;

const warnings: string[] = [];
const logger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (a: unknown, b?: unknown) => void warnings.push(JSON.stringify([a, b])),
  error: () => undefined,
  fatal: () => undefined,
  child: () => logger,
};

describe("delivery reports and their signers", () => {
  const prefix = uniquePrefix("report-signers");
  let redis: Redis;
  let producer: Producer;
  let messageMap: MessageMap;
  let toXmpp: Queue;
  let outcomes: StatusOutcome[];
  let ingest: ReturnType<typeof inboundIngester>;
  let n = 0;

  const record = (account?: string): SentRecord => ({
    jobId: `o-job-${++n}`,
    senderJid: "anna@example.org/phone",
    stanzaId: `s-${n}`,
    contactLocalpart: "+15557654321",
    receipt: true,
    parts: 1,
    ...(account === undefined ? {} : { account }),
  });
  const put = async (sid: string, r: SentRecord) => {
    const { key, value, ttlSeconds } = messageMap.recordEntry(GATEWAY, sid, r);
    await redis.set(key, value, "EX", ttlSeconds);
  };
  const failed = (sid: string, signedBy?: string): InboundStatusEvent => ({
    kind: "status",
    providerMessageId: sid,
    status: "failed",
    reason: "Twilio error 30003",
    ...(signedBy === undefined ? {} : { signedBy }),
  });

  beforeAll(() => {
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
    producer = new Producer(redis, {
      prefix,
      outboundAttempts: 1,
      deliveryAttempts: 1,
      keepCompleted: 100,
      dedupTtlSeconds: 3600,
    });
    messageMap = new MessageMap(redis, prefix, 3600);
    toXmpp = new Queue(toXmppQueueName(GATEWAY), { connection: redis, prefix: bullPrefix(prefix) });
    outcomes = [];
    ingest = inboundIngester({
      gatewayId: GATEWAY,
      network: plainRules,
      producer,
      logger,
      messageMap,
      optOuts: new OptOutStore(redis, prefix, 3600),
      earlyReportsPerAccount: 3,
      onStatus: (o) => outcomes.push(o),
    });
  });

  afterAll(async () => {
    await toXmpp?.close();
    await producer?.close();
    redis?.disconnect();
  });

  it("applies a report to a self-service message only when that account signed it", async () => {
    const r = record(ANNA);
    await put("SMa1", r);
    outcomes.length = 0;
    warnings.length = 0;
    await ingest([failed("SMa1", BEA), failed("SMa1")]);
    expect(outcomes).toEqual(["wrong-account", "wrong-account"]);
    expect(await toXmpp.getJob(deliveryErrorJobId(r.jobId))).toBeUndefined();
    expect(warnings.join("")).toMatch(/another account/);
    await ingest([failed("SMa1", ANNA)]);
    expect(outcomes.at(-1)).toBe("error");
    expect((await toXmpp.getJob(deliveryErrorJobId(r.jobId)))?.data).toMatchObject({ kind: "error" });
  });

  it("applies a report to the gateway's own message only when no self-service account signed it", async () => {
    const r = record();
    await put("SMg1", r);
    outcomes.length = 0;
    await ingest([failed("SMg1", ANNA)]);
    expect(outcomes).toEqual(["wrong-account"]);
    await ingest([failed("SMg1")]);
    expect(outcomes.at(-1)).toBe("error");
  });

  it("keeps the signer of a report held early, and never applies it to another account's message", async () => {
    outcomes.length = 0;
    await ingest([failed("SMearly1", BEA)]);
    expect(outcomes).toEqual(["unknown"]);
    const deps = { gatewayId: GATEWAY, producer, messageMap };
    // Neither anna's message nor one of the gateway's own account is given bea's report.
    expect(await takeAndApply(deps, record(), "SMearly1")).toBeUndefined();
    const r = record(ANNA);
    expect(await takeAndApply(deps, r, "SMearly1")).toBeUndefined();
    expect(await toXmpp.getJob(deliveryErrorJobId(r.jobId))).toBeUndefined();
    // Anna's own report for the same id, held beside it, is (bea's did not replace it).
    await ingest([failed("SMearly1", BEA), { ...failed("SMearly1", ANNA), reason: "anna's own report" }]);
    expect(await takeAndApply(deps, r, "SMearly1")).toBe("error");
    expect((await toXmpp.getJob(deliveryErrorJobId(r.jobId)))?.data).toMatchObject({
      text: expect.stringContaining("anna's own report"),
    });

    await ingest([failed("SMearly2", ANNA)]);
    const own = record(ANNA);
    expect(await takeAndApply({ gatewayId: GATEWAY, producer, messageMap }, own, "SMearly2")).toBe("error");
  });

  it("holds only so many early reports per self-service account; the gateway's own are not capped", async () => {
    outcomes.length = 0;
    const sids = Array.from({ length: 6 }, (_, i) => `SMflood${i}`);
    const flooder = `AC${"c".repeat(32)}`; // no report of it held before
    await ingest(sids.map((sid) => failed(sid, flooder)));
    expect(outcomes).toEqual(["unknown", "unknown", "unknown", "dropped", "dropped", "dropped"]);
    const held = await Promise.all(
      sids.map((sid) => redis.exists(`{${prefix}}:early-report:${GATEWAY}:${sid}:${flooder}`)),
    );
    expect(held).toEqual([1, 1, 1, 0, 0, 0]);
    outcomes.length = 0;
    await ingest(Array.from({ length: 6 }, (_, i) => failed(`SMown${i}`)));
    expect(outcomes).toEqual(Array(6).fill("unknown"));
  });
});
