/**
 * Helpers for the chaos tests (test/integration/chaos): a light Twilio-compatible sink that counts
 * every message it is handed (and can fail for a stretch), the gateway CLI as a child process that
 * can be SIGKILLed, Redis probes for which jobs exist, the one-line count report every chaos
 * test prints, and the setup they share (useChaosRig).
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { stringify } from "yaml";
import { batchDataSchema } from "../../src/queue/batch-job.js";
import { bullPrefix, outboundQueueName, toXmppQueueName } from "../../src/queue/names.js";
import { startTestGateway, type TestGateway } from "./gateway.js";
import { shippedNodeFlags } from "./node-flags.js";
import { freePort } from "./ports.js";
import { type ManagedProcess, makeTempDir, spawnManaged } from "./process.js";
import { type RedisOptions, redisUrl, startRedis, type TestRedis, uniquePrefix } from "./redis.js";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
import { waitFor, withTimeout } from "./wait.js";
import { connectClient, type TestClient } from "./xmpp-client.js";
import { startXmppServer, type XmppServer } from "./xmpp-server.js";

export const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
export const AUTH_TOKEN = "chaos-auth-token-5e1f";
export const COMPONENT = "sms.localhost";
export const SECRET = "chaos-component-secret-77a1";
export const ALICE_NUMBER = "+15550001111";
export const CONTACT = "+15557654321";
export const GATEWAY_ID = "sms";
const ROOT = new URL("../..", import.meta.url).pathname;

/** What the sink answers: 201 (a Message resource) or an error status, optionally with Retry-After. */
export interface SinkAnswer {
  readonly status: number;
  readonly retryAfterSeconds?: number;
}

export interface SinkArrival {
  readonly body: string;
  readonly at: number;
  readonly status: number;
}

export interface SmsSink {
  readonly url: string;
  /** Every request, in order, with what it was answered. */
  readonly arrivals: SinkArrival[];
  /** Body -> number of times it was accepted (answered 201). */
  readonly accepted: Map<string, number>;
  /** Decides each answer (default: 201 for all). */
  answer: (body: string) => SinkAnswer;
  close(): Promise<void>;
}

/**
 * Answers POST /2010-04-01/Accounts/{sid}/Messages.json like Twilio's Messages API, at once and
 * without validation (the prism stand-in is too slow for thousands of messages). Twilio's JSON
 * error shape for error answers.
 */
export async function startSmsSink(): Promise<SmsSink> {
  const arrivals: SinkArrival[] = [];
  const accepted = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || !/\/Messages\.json$/.test(req.url ?? "")) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: 20404, message: "not found", status: 404 }));
        return;
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      const body = form.get("Body") ?? "";
      const a = sink.answer(body);
      arrivals.push({ body, at: Date.now(), status: a.status });
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (a.retryAfterSeconds !== undefined) headers["retry-after"] = String(a.retryAfterSeconds);
      if (a.status >= 300) {
        res.writeHead(a.status, headers);
        res.end(
          JSON.stringify({
            code: a.status === 429 ? 20429 : 20500,
            message: a.status === 429 ? "Too Many Requests" : "Internal Server Error",
            status: a.status,
          }),
        );
        return;
      }
      accepted.set(body, (accepted.get(body) ?? 0) + 1);
      const sid = `SM${randomBytes(16).toString("hex")}`;
      res.writeHead(201, headers);
      res.end(
        JSON.stringify({
          sid,
          to: form.get("To"),
          from: form.get("From"),
          body,
          status: "queued",
          num_segments: "1",
          direction: "outbound-api",
          api_version: "2010-04-01",
        }),
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const sink: SmsSink = {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    accepted,
    answer: () => ({ status: 201 }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return sink;
}

export interface ChaosConfigOptions {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly xmppService: string;
  readonly sinkUrl: string;
  /** host:port of the webhook server (public URL is the same, so signatures match). */
  readonly httpListen: string;
  /** host:port for /metrics (http.internalListen); none when unset. */
  readonly internalListen?: string;
  readonly queue?: Record<string, number>;
  readonly logLevel?: string;
}

/** A gateway config with short retry, lock and reconnect settings, so faults heal within seconds. */
export function chaosConfig(o: ChaosConfigOptions): Record<string, unknown> {
  return {
    xmpp: {
      service: o.xmppService,
      pingIntervalMs: 2000,
      pingTimeoutMs: 1000,
      reconnectInitialDelayMs: 50,
      reconnectMaxDelayMs: 500,
    },
    http: {
      listen: o.httpListen,
      publicUrl: `http://${o.httpListen}`,
      ...(o.internalListen === undefined ? {} : { internalListen: o.internalListen }),
    },
    redis: { url: o.redisUrl, prefix: o.prefix },
    log: { level: o.logLevel ?? "info" },
    allowedDomains: ["localhost"],
    queue: {
      outboundAttempts: 20,
      outboundBackoffMs: 50,
      maxBackoffMs: 1500,
      keepCompleted: 100_000,
      lockDurationMs: 1000,
      stalledIntervalMs: 500,
      ...o.queue,
    },
    gateways: [
      {
        id: GATEWAY_ID,
        domain: COMPONENT,
        secret: SECRET,
        adapter: "twilio",
        defaultRegion: "US",
        twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: o.sinkUrl },
        users: [{ jid: "alice@localhost", number: ALICE_NUMBER }],
        // alice sends thousands of messages in seconds here: limits far above that, and her
        // number unpaced (a Twilio long code's default, 1 a second, would take hours).
        limits: { perUser: UNLIMITED },
        pacing: "off",
      },
    ],
  };
}

const UNLIMITED = {
  messagesPerMinute: 100_000_000,
  messagesBurst: 100_000_000,
  messagesPerDay: 100_000_000,
  segmentsPerMinute: 100_000_000,
  segmentsBurst: 100_000_000,
  segmentsPerDay: 100_000_000,
};

export function writeConfigFile(config: Record<string, unknown>): string {
  const file = join(makeTempDir("chaos"), "gateway.yaml");
  writeFileSync(file, stringify(config));
  return file;
}

export interface GatewayProcess {
  readonly proc: ManagedProcess;
  /** Complete output lines so far (stdout and stderr). */
  readonly lines: string[];
  /** Resolves with the first line containing `text` (already printed or coming within `timeoutMs`). */
  waitForLine(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILL to the whole process group; resolves once it is gone. */
  kill(): Promise<void>;
}

/**
 * `node --import tsx src/cli.ts start --config FILE [args]` with the Node options the gateway ships
 * with, as an operator runs it (args: e.g. `--role worker`).
 */
const SHIPPED_FLAGS = shippedNodeFlags(join(ROOT, "src/cli.ts"));

export function spawnGateway(configFile: string, args: readonly string[] = []): GatewayProcess {
  const lines: string[] = [];
  const proc = spawnManaged(
    "gateway",
    process.execPath,
    [...SHIPPED_FLAGS, "--import", "tsx", join(ROOT, "src/cli.ts"), "start", "--config", configFile, ...args],
    { cwd: ROOT, onLine: (line) => lines.push(line) },
  );
  const matches = (line: string, text: string | RegExp) =>
    typeof text === "string" ? line.includes(text) : text.test(line);
  return {
    proc,
    lines,
    waitForLine: (text, timeoutMs = 20_000) =>
      waitFor(
        () => {
          const hit = lines.find((l) => matches(l, text));
          if (hit !== undefined) return hit;
          if (!proc.isRunning()) throw new Error(`the gateway exited:\n${lines.slice(-30).join("\n")}`);
          return undefined;
        },
        { timeoutMs, intervalMs: 20, description: `the gateway to log ${String(text)}` },
      ),
    async kill() {
      try {
        process.kill(-proc.pid, "SIGKILL");
      } catch {
        // already gone
      }
      await withTimeout(proc.exited, 10_000, "the gateway to die");
    },
  };
}

/** Which of `jobIds` exist as jobs of `queueName` (in any state). */
export async function existingJobs(
  redis: Redis,
  prefix: string,
  queueName: string,
  jobIds: readonly string[],
): Promise<Set<string>> {
  const pipeline = redis.pipeline();
  for (const id of jobIds) pipeline.exists(`${bullPrefix(prefix)}:${queueName}:${id}`);
  const results = (await pipeline.exec()) ?? [];
  const batched = await batchedIds(redis, prefix, queueName);
  const out = new Set<string>();
  results.forEach(([err, n], i) => {
    const id = jobIds[i];
    if (err) throw err;
    if (id !== undefined && (n === 1 || batched.has(id))) out.add(id);
  });
  return out;
}

/** The ids of the messages inside the queue's batch jobs (src/queue/batch-job.ts). */
export async function batchedIds(redis: Redis, prefix: string, queueName: string): Promise<Set<string>> {
  const base = `${bullPrefix(prefix)}:${queueName}:`;
  const out = new Set<string>();
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${base}b-*`, "COUNT", 1000);
    cursor = next;
    // The job hashes, not their lock and log keys.
    const jobKeys = keys.filter((k) => !k.slice(base.length).includes(":"));
    for (const key of jobKeys) {
      const raw = await redis.hget(key, "data");
      for (const item of batchDataSchema.parse(JSON.parse(raw ?? "{}")).items) out.add(item.id);
    }
  } while (cursor !== "0");
  return out;
}

/** For a failure message: the queue's failed jobs, with their reasons and, for a batch, its size. */
export async function describeFailed(redis: Redis, prefix: string, queueName: string): Promise<string> {
  const base = `${bullPrefix(prefix)}:${queueName}`;
  const ids = await redis.zrange(`${base}:failed`, 0, -1);
  const lines: string[] = [];
  for (const id of ids) {
    const [name, reason, data, stalled] = await redis.hmget(
      `${base}:${id}`,
      "name",
      "failedReason",
      "data",
      "stc",
    );
    const items =
      name === "batch" ? ` items=${batchDataSchema.parse(JSON.parse(data ?? "{}")).items.length}` : "";
    lines.push(`failed ${id} ${name}${items} stalled=${stalled ?? 0}: ${reason}`);
  }
  return lines.join("\n") || "no failed jobs";
}

/** For a failure message: each job's state, attempts and last error, as BullMQ keeps them. */
export async function describeJobs(
  redis: Redis,
  prefix: string,
  queueName: string,
  jobIds: readonly string[],
): Promise<string> {
  const lines: string[] = [];
  for (const id of jobIds) {
    const key = `${bullPrefix(prefix)}:${queueName}:${id}`;
    const [fields, state] = await Promise.all([
      redis.hmget(key, "attemptsMade", "failedReason", "finishedOn", "returnvalue"),
      Promise.all(
        ["wait", "active", "delayed", "completed", "failed"].map(async (s) =>
          s === "wait" || s === "active"
            ? (await redis.lpos(`${bullPrefix(prefix)}:${queueName}:${s}`, id)) !== null
              ? s
              : ""
            : (await redis.zscore(`${bullPrefix(prefix)}:${queueName}:${s}`, id)) !== null
              ? s
              : "",
        ),
      ),
    ]);
    const [attemptsMade, failedReason, finishedOn, returnvalue] = fields;
    lines.push(
      `${id}: state=${state.filter(Boolean).join(",") || "?"} attemptsMade=${attemptsMade} finishedOn=${finishedOn} failedReason=${failedReason} returnvalue=${returnvalue}`,
    );
  }
  return lines.join("\n");
}

/** Resolves once the gateway's queues hold no waiting, delayed or active job (bounded). */
export async function queuesDrained(redis: Redis, prefix: string, timeoutMs = 30_000): Promise<void> {
  const queues = [outboundQueueName(GATEWAY_ID), toXmppQueueName(GATEWAY_ID)].map(
    (name) => new Queue(name, { connection: redis, prefix: bullPrefix(prefix) }),
  );
  try {
    await waitFor(
      async () => {
        for (const q of queues) {
          const c = await q.getJobCounts("waiting", "active", "delayed", "paused", "prioritized");
          if (Object.values(c).some((n) => n > 0)) throw new Error(`${q.name}: ${JSON.stringify(c)}`);
        }
        return true;
      },
      { timeoutMs, intervalMs: 100, description: "the gateway's queues to drain" },
    );
  } finally {
    await Promise.all(queues.map((q) => q.close()));
  }
}

export interface ChaosCounts {
  readonly sent: number;
  readonly accepted: number;
  readonly delivered: number;
  readonly duplicates: number;
  readonly lost: number;
  readonly [extra: string]: number;
}

/** The line every chaos test prints, e.g. `CHAOS gateway-kill: sent=2000 accepted=... lost=0`. */
export function reportCounts(name: string, counts: ChaosCounts): string {
  const line = `CHAOS ${name}: ${Object.entries(counts)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ")}`;
  console.log(line);
  return line;
}

/** Counts in `sink.accepted` for the given bodies: delivered (once or more) and extra copies. */
export function tally(
  bodies: Iterable<string>,
  seen: ReadonlyMap<string, number>,
): { delivered: number; duplicates: number; missing: string[] } {
  let delivered = 0;
  let duplicates = 0;
  const missing: string[] = [];
  for (const b of bodies) {
    const n = seen.get(b) ?? 0;
    if (n > 0) delivered++;
    else missing.push(b);
    if (n > 1) duplicates += n - 1;
  }
  return { delivered, duplicates, missing };
}

/** Resolves after `ms`: only for pacing what a test sends, never to wait for an event. */
export function pace(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface ChaosRigOptions {
  /**
   * Start a Redis of the test's own (startRedis with these options) instead of using the shared
   * one. The rig's client then retries forever and ignores errors, as the test may kill that Redis.
   */
  readonly ownRedis?: RedisOptions;
  /** Put a TCP proxy (startTcpProxy) between the gateway and the server's component port. */
  readonly proxy?: boolean;
  /** Start an in-process gateway (startTestGateway, chaosConfig) and wait for it to be online. */
  readonly gateway?: boolean;
  /** Log alice in (after the gateway, if any). Default true. */
  readonly alice?: boolean;
}

/** What useChaosRig sets up; each getter throws if read before beforeAll or with its option off. */
export interface ChaosRig {
  /** The Redis key prefix of this test (uniquePrefix of the rig's name). */
  readonly prefix: string;
  readonly server: XmppServer;
  readonly sink: SmsSink;
  /** An ioredis client of the gateway's Redis (the shared one, or ownRedis). */
  readonly redis: Redis;
  readonly alice: TestClient;
  /** The test's own Redis (option ownRedis). */
  readonly ownRedis: TestRedis;
  readonly proxy: TcpProxy;
  /** The in-process gateway (option gateway). */
  readonly gw: TestGateway;
  /** host:port of the in-process gateway's webhook server (option gateway). */
  readonly listen: string;
  /** Gateway processes the test spawns; stopped in afterAll. */
  readonly gateways: GatewayProcess[];
  /** Further clients the test connects; stopped in afterAll. */
  readonly clients: TestClient[];
}

/**
 * Registers the beforeAll/afterAll of a chaos test: Prosody with the gateway's component, the SMS
 * sink, user alice, an ioredis client and, per the options, an own Redis, a TCP proxy, an
 * in-process gateway and alice logged in. Call it in a describe block; read the fields in tests.
 */
export function useChaosRig(name: string, options: ChaosRigOptions = {}): ChaosRig {
  const prefix = uniquePrefix(name);
  const gateways: GatewayProcess[] = [];
  const clients: TestClient[] = [];
  let server: XmppServer | undefined;
  let sink: SmsSink | undefined;
  let redis: Redis | undefined;
  let alice: TestClient | undefined;
  let ownRedis: TestRedis | undefined;
  let proxy: TcpProxy | undefined;
  let gw: TestGateway | undefined;
  let listen: string | undefined;

  beforeAll(async () => {
    [server, sink, ownRedis] = await Promise.all([
      startXmppServer("prosody", { components: [{ domain: COMPONENT, secret: SECRET }] }),
      startSmsSink(),
      options.ownRedis ? startRedis(options.ownRedis) : undefined,
    ]);
    await server.register("alice", "alice-pw");
    if (options.proxy) proxy = await startTcpProxy(server.componentPort);
    if (ownRedis) {
      redis = new Redis(ownRedis.url, { maxRetriesPerRequest: null });
      redis.on("error", () => undefined);
    } else {
      redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
    }
    if (options.gateway) {
      listen = `127.0.0.1:${await freePort()}`;
      gw = await startTestGateway({
        config: chaosConfig({
          redisUrl: ownRedis?.url ?? redisUrl(),
          prefix,
          xmppService: proxy ? `xmpp://127.0.0.1:${proxy.port}` : server.componentService,
          sinkUrl: sink.url,
          httpListen: listen,
        }),
      });
      await gw.online();
    }
    if (options.alice ?? true)
      alice = await connectClient({ server, username: "alice", password: "alice-pw" });
  });

  afterAll(async () => {
    await alice?.stop();
    await Promise.all(clients.map((c) => c.stop()));
    await Promise.all(gateways.map((g) => g.proc.stop(5000)));
    await gw?.stop();
    redis?.disconnect();
    await Promise.all([server?.stop(), sink?.close(), ownRedis?.stop(), proxy?.close()]);
  });

  const get = <T>(value: T | undefined, what: string): T => {
    if (value === undefined)
      throw new Error(`chaos rig ${name}: no ${what} (before beforeAll, or its option is off)`);
    return value;
  };
  return {
    prefix,
    gateways,
    clients,
    get server() {
      return get(server, "server");
    },
    get sink() {
      return get(sink, "sink");
    },
    get redis() {
      return get(redis, "redis");
    },
    get alice() {
      return get(alice, "alice");
    },
    get ownRedis() {
      return get(ownRedis, "ownRedis");
    },
    get proxy() {
      return get(proxy, "proxy");
    },
    get gw() {
      return get(gw, "gw");
    },
    get listen() {
      return get(listen, "listen");
    },
  };
}
