/**
 * `xmpp-gateway queue failed | retry | purge`: the dead-letter view. Redis is reached within
 * --timeout or the command says why and exits (69 unreachable, 78 refused credentials); the whole
 * command is bounded too, so it never hangs.
 */
import { parseDuration } from "../core/duration.js";
import { EXIT } from "../core/startup-error.js";
import type { QueueAdmin } from "../queue/admin.js";
import { loadOrExit } from "./config-file.js";
import { die, dieOf, printable } from "./output.js";

interface QueueOptions {
  readonly config: string;
  readonly gateway?: string;
  readonly json?: boolean;
  /** Seconds. */
  readonly timeout: number;
}

/** Opens the gateway's queues for one admin command, always closing them afterwards. */
async function withQueues<T>(o: QueueOptions, run: (admin: QueueAdmin) => Promise<T>): Promise<T> {
  const config = await loadOrExit(o.config);
  const ids = config.gateways.map((g) => g.id);
  if (o.gateway !== undefined && !ids.includes(o.gateway)) {
    die(`unknown gateway "${o.gateway}" (configured: ${ids.join(", ")})`, EXIT.usage);
  }
  const { connectRedisBounded, redactedRedisUrl } = await import("../store/redis-connect.js");
  const { QueueAdmin } = await import("../queue/admin.js");
  const timeoutMs = o.timeout * 1000;
  let redis: Awaited<ReturnType<typeof connectRedisBounded>>;
  try {
    redis = await connectRedisBounded(config.redis.url, timeoutMs, "xgw-cli");
  } catch (err) {
    dieOf(err, "connecting to Redis");
  }
  const admin = new QueueAdmin(redis, config.redis.prefix, ids);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<never>((_, reject) => {
      // The command as a whole: Redis answered at first but may stop answering midway.
      timer = setTimeout(() => reject(new Error("timeout")), Math.max(timeoutMs, 30_000));
    });
    return await Promise.race([run(admin), timedOut]);
  } catch (err) {
    const reason = (err as Error).message;
    die(
      `Redis at ${redactedRedisUrl(config.redis.url)} stopped answering (${reason}); nothing more was done`,
      EXIT.unavailable,
    );
  } finally {
    clearTimeout(timer);
    await Promise.race([admin.close(), new Promise((r) => setTimeout(r, 2000).unref())]);
    redis.disconnect();
  }
}

const print = (line: string) => process.stdout.write(`${line}\n`);

export async function queueFailed(o: QueueOptions): Promise<void> {
  const jobs = await withQueues(o, (admin) => admin.failed(o.gateway));
  if (o.json) {
    print(JSON.stringify({ failed: jobs }));
    return;
  }
  for (const j of jobs) {
    const when = j.failedAt === undefined ? "-" : new Date(j.failedAt).toISOString();
    print(
      [j.id, j.queue, when, `attempts=${j.attemptsMade}`, j.summary, j.reason]
        .map((f) => printable(f))
        .join("\t"),
    );
  }
  print(`${jobs.length} failed job(s)`);
}

export async function queueRetry(id: string | undefined, o: QueueOptions & { all?: boolean }): Promise<void> {
  if ((id === undefined) === (o.all !== true)) die("give either a job id or --all", EXIT.usage);
  const target = id === undefined ? ({ all: true } as const) : { id };
  const { retried, skipped } = await withQueues(o, (admin) => admin.retry(target, o.gateway));
  if (o.json) print(JSON.stringify({ retried, skipped }));
  else {
    for (const r of retried) print(`retried ${printable(r)}`);
    for (const s of skipped) print(`not retried ${printable(s.id)}: ${printable(s.why)}`);
    print(`${retried.length} job(s) retried`);
  }
  if (id !== undefined && retried.length === 0) {
    if (skipped.length > 0) process.exit(1);
    die(`no failed job with id ${id}`, 1);
  }
}

export async function queuePurge(o: QueueOptions & { olderThan: string }): Promise<void> {
  const ms = parseDuration(o.olderThan);
  if (ms === undefined) {
    die(`--older-than: "${o.olderThan}" is not a duration such as 7d, 12h, 30m, 45s`, EXIT.usage);
  }
  const removed = await withQueues(o, (admin) => admin.purge(ms, o.gateway));
  if (o.json) print(JSON.stringify({ removed, olderThan: o.olderThan }));
  else print(`${removed} failed job(s) older than ${o.olderThan} removed`);
}
