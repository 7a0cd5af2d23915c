/**
 * What a "seen" marker (the producer's duplicate guard, kept `queue.dedupTtlSeconds`) costs in
 * Redis memory: a private redis-server, 100,000 markers of the producer's real shape (key
 * `{prefix}:seen:<gateway>:<job id>`, value "1", with an expiry), INFO used_memory before and
 * after, and MEMORY USAGE of one key; then as many per-part records of the outbound worker, which
 * live as long. Run: `node --import tsx bench/seen-markers.ts` (BENCH_MARKERS to change N).
 */
import { Redis } from "ioredis";
import { inboundJobId, outboundJobId } from "../src/core/pipeline/jobs.js";
import { storeKey } from "../src/store/keys.js";
import { startRedis } from "../test/harness/redis.js";

const N = Number(process.env.BENCH_MARKERS ?? 100_000);
const TTL = 30 * 24 * 3600;

const usedMemory = async (redis: Redis): Promise<number> => {
  const info = await redis.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
};

const server = await startRedis();
const redis = new Redis(server.url, { maxRetriesPerRequest: 3 });
try {
  const version = /redis_version:(\S+)/.exec(await redis.info("server"))?.[1];
  const before = await usedMemory(redis);
  for (let i = 0; i < N; i += 1000) {
    const batch = redis.pipeline();
    for (let j = i; j < Math.min(N, i + 1000); j++) {
      // Half inbound (MessageSid), half outbound (sender + stanza id), as a gateway sees them.
      const sid = `SM${j.toString(16).padStart(32, "0")}`;
      const jobId = j % 2 === 0 ? inboundJobId(sid) : outboundJobId("alice@example.org", `stanza-${j}`);
      batch.set(storeKey("xgw", "seen", "sms", jobId), "1", "EX", TTL);
    }
    await batch.exec();
  }
  const after = await usedMemory(redis);
  const one = await redis.memory(
    "USAGE",
    storeKey("xgw", "seen", "sms", inboundJobId(`SM${"0".repeat(32)}`)),
  );
  // The outbound worker's per-part record (`{prefix}:sent:<gateway>:<job id>:<part>` = the
  // provider's id), kept as long as the markers.
  for (let i = 0; i < N; i += 1000) {
    const batch = redis.pipeline();
    for (let j = i; j < Math.min(N, i + 1000); j++) {
      const jobId = outboundJobId("alice@example.org", `stanza-${j}`);
      batch.set(
        storeKey("xgw", "sent", "sms", jobId, "0"),
        `SM${j.toString(16).padStart(32, "0")}`,
        "EX",
        TTL,
      );
    }
    await batch.exec();
  }
  const afterSent = await usedMemory(redis);
  const perMarker = (after - before) / N;
  const perSentPart = (afterSent - after) / N;
  process.stdout.write(
    `${JSON.stringify({
      redis: version,
      markers: N,
      usedMemoryBefore: before,
      usedMemoryAfterMarkers: after,
      bytesPerMarker: Math.round(perMarker),
      memoryUsageOfOneMarker: one,
      bytesPerSentPartRecord: Math.round(perSentPart),
    })}\n`,
  );
} finally {
  redis.disconnect();
  await server.stop();
}
