/**
 * What a new contact costs the gateway and Redis: ContactBook.firstTime (one TurnScript use per
 * sighting, a turn's uses one EVALSHA) against the baseline it replaced, the same three commands
 * per sighting (HSETNX, EXPIRE, HLEN) in one pipeline per turn. A private redis-server, 20,000
 * distinct sightings in turns of 50, alternating, 3 rounds; Redis CPU from INFO cpu, the
 * client's from process.cpuUsage. Run: `node --import tsx bench/contact-sightings.ts`.
 */
import { Redis } from "ioredis";
import { CONTACT_BOOK_LIMITS, ContactBook } from "../src/store/contacts.js";
import { storeKey } from "../src/store/keys.js";
import { startRedis } from "../test/harness/redis.js";

const N = Number(process.env.BENCH_SIGHTINGS ?? 20_000);
const TURN = 50;
const ROUNDS = 3;

type FirstTime = (jid: string, address: string) => Promise<unknown>;

const server = await startRedis();
const redis = new Redis(server.url, { maxRetriesPerRequest: 3 });

async function redisCpuSeconds(): Promise<number> {
  const info = await redis.info("cpu");
  const field = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return field("used_cpu_sys") + field("used_cpu_user");
}

/** The baseline: three commands a sighting, a turn's in one pipeline. */
function pipelined(prefix: string): FirstTime {
  let batch: ReturnType<Redis["pipeline"]> | undefined;
  return async (jid, address) => {
    if (!batch) {
      batch = redis.pipeline();
      const mine = batch;
      setImmediate(() => {
        batch = undefined;
        void mine.exec();
      });
    }
    const key = storeKey(prefix, "contacts", "sms", jid);
    batch.hsetnx(key, address, String(Date.now())).expire(key, CONTACT_BOOK_LIMITS.ttlSeconds).hlen(key);
  };
}

/** µs of Redis and of this process per sighting, for N sightings of distinct numbers. */
async function measure(firstTime: FirstTime): Promise<[number, number]> {
  const redisBefore = await redisCpuSeconds();
  const ours = process.cpuUsage();
  for (let i = 0; i < N; i += TURN) {
    const turn = Array.from({ length: TURN }, (_, j) =>
      firstTime(`user${(i + j) % 500}@example.org`, `+1555${String(i + j).padStart(7, "0")}`),
    );
    await Promise.all(turn);
  }
  await redis.ping(); // the baseline's last pipeline answered
  const used = process.cpuUsage(ours);
  return [(((await redisCpuSeconds()) - redisBefore) * 1e6) / N, (used.user + used.system) / N];
}

try {
  process.stdout.write(`contact sightings, ${N.toLocaleString("en")} distinct a round in turns of ${TURN}\n`);
  process.stdout.write(
    "| round | pipeline (baseline): Redis / client µs | script: Redis / client µs |\n|---|---:|---:|\n",
  );
  for (let r = 1; r <= ROUNDS; r++) {
    const [bRedis, bClient] = await measure(pipelined(`bench-base-${r}`));
    const book = new ContactBook(redis, `bench-script-${r}`);
    const [sRedis, sClient] = await measure((jid, address) => book.firstTime("sms", jid, address));
    const cell = (a: number, b: number) => `${a.toFixed(2)} / ${b.toFixed(2)}`;
    process.stdout.write(`| ${r} | ${cell(bRedis, bClient)} | ${cell(sRedis, sClient)} |\n`);
  }
} finally {
  redis.disconnect();
  await server.stop();
}
