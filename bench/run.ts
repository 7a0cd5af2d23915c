/**
 * `npm run bench`: throughput, latency, inbound, memory and CPU of the gateway, each beside a
 * baseline measured in the same run on the same servers.
 *
 * For each XMPP server (Prosody, ejabberd): its own server, its own Redis (so Redis CPU can be
 * read), a Twilio-compatible sink, the gateway as a child process (`xmpp-gateway start`), and a
 * minimal echo component (the baseline: the XMPP server's own ceiling for this path).
 *
 * Environment: BENCH_MESSAGES (default 20000), BENCH_CLIENTS (10), BENCH_RATES ("100,1000,3000"),
 * BENCH_RATE_SECONDS (10), BENCH_INBOUND (10000), BENCH_MEMORY_MESSAGES (200000; 0 skips),
 * BENCH_DISTINCT (20000; 0 skips) and BENCH_DISTINCT_INBOUND (5000): the distinct-numbers
 * workloads, where every message goes to or comes from a number of its own, BENCH_WINDOW (1000 in
 * flight), BENCH_ONLY_DISTINCT=1 (just those), BENCH_COMMANDSTATS=1 (Redis commands per message by
 * name, bytes to and from Redis and the socket reads and writes Redis made, per message, on stderr), BENCH_CONCURRENCY (the gateway's queue.outboundConcurrency, 100),
 * BENCH_GATEWAY_ROOT (another checkout's build), BENCH_PACING=off (no pacer; default a pace per
 * sender number far above the run's), BENCH_SERVERS ("prosody,ejabberd"),
 * BENCH_NODE_FLAGS (more Node options for the gateway's processes, space-separated, after the
 * ones of its dist/src/cli.js shebang; BENCH_SHIPPED_FLAGS=off leaves those out),
 * BENCH_CPU_PROF (a directory: profile the gateway with --cpu-prof), BENCH_HEAP_PROF (a directory:
 * --heap-prof), BENCH_ALLOC_PROF (a directory, with
 * BENCH_NODE_FLAGS="--import=./bench/lib/alloc-sampler.mjs": every allocation sampled, collected
 * ones included), BENCH_SPLIT_WORKER=1 (the worker role in a second process; CPU and memory are
 * summed), XGW_PROSODY_NAGLE=on (run Prosody with its default Nagle setting instead of the
 * recommended off).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import twilio from "twilio";
import { stringify } from "yaml";
import { shippedNodeFlags } from "../test/harness/node-flags.js";
import { freePort, waitForPort } from "../test/harness/ports.js";
import { startRedis, type TestRedis } from "../test/harness/redis.js";
import { waitFor } from "../test/harness/wait.js";
import { connectClient, type Element, type TestClient, xml } from "../test/harness/xmpp-client.js";
import { startXmppServer, type XmppServer, type XmppServerKind } from "../test/harness/xmpp-server.js";
import { cpuSeconds, rssMb } from "./lib/proc.js";
import { type Sink, startSink } from "./lib/sink.js";

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const N = env("BENCH_MESSAGES", 20_000);
const CLIENTS = env("BENCH_CLIENTS", 10);
const RATES = (process.env.BENCH_RATES ?? "100,1000,3000").split(",").map(Number);
const RATE_SECONDS = env("BENCH_RATE_SECONDS", 10);
const INBOUND = env("BENCH_INBOUND", 10_000);
const MEMORY_MESSAGES = env("BENCH_MEMORY_MESSAGES", 200_000);
const SPLIT_WORKER = process.env.BENCH_SPLIT_WORKER === "1";
const DISTINCT = env("BENCH_DISTINCT", 20_000);
const DISTINCT_INBOUND = env("BENCH_DISTINCT_INBOUND", 5_000);
const WINDOW = env("BENCH_WINDOW", 1000);
const ONLY_DISTINCT = process.env.BENCH_ONLY_DISTINCT === "1";
const SERVERS = (process.env.BENCH_SERVERS ?? "prosody,ejabberd").split(",") as XmppServerKind[];

const ROOT = new URL("..", import.meta.url).pathname;
/**
 * The gateway runs as operators run it, from the compiled JavaScript (`npm start`), not through
 * tsx, which would compile lazily loaded modules during the first messages and charge the cold
 * run for it. BENCH_GATEWAY_ROOT runs another checkout's build (the previous head, for a
 * before/after on the same machine).
 */
const GATEWAY_ROOT = process.env.BENCH_GATEWAY_ROOT ?? ROOT;

/**
 * The gateway's Node options: those of its built shebang, as the installed command runs it
 * (unless BENCH_SHIPPED_FLAGS=off), then BENCH_NODE_FLAGS. Read after the build.
 */
function gatewayNodeFlags(): string[] {
  const shipped =
    process.env.BENCH_SHIPPED_FLAGS === "off" ? [] : shippedNodeFlags(join(GATEWAY_ROOT, "dist/src/cli.js"));
  return [...shipped, ...(process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter((f) => f !== "")];
}
const SECRET = "bench-component-secret";
// ejabberd hands every host of a service listener to each component connected to it: the echo
// component gets its own listener there (separateComponentListeners) and its own secret.
const ECHO_SECRET = "bench-echo-secret";
const ACCOUNT = `AC${"b".repeat(32)}`;
const TOKEN = "bench-auth-token";
const PUBLIC_URL = "https://bench.example.test";
const CONTACT = "+15557654321";
const userNumber = (i: number) => `+1555000${String(1000 + i).slice(-4)}`;
/** The i-th of the distinct-numbers workloads' numbers (valid US numbers, one per message). */
const distinctNumber = (i: number) => `+1201${String(2_000_000 + i)}`;

interface Rig {
  kind: XmppServerKind;
  server: XmppServer;
  redis: TestRedis;
  redisPid: number;
  sink: Sink;
  gateway: ChildProcess;
  /** Worker-role processes (BENCH_SPLIT_WORKER), counted as part of the gateway. */
  workers: ChildProcess[];
  echo: ChildProcess;
  httpPort: number;
  metricsPort: number;
  clients: TestClient[];
}

const log = (s: string) => process.stdout.write(`${s}\n`);
/** Progress goes to stderr, so the tables on stdout stay clean. */
const progress = (s: string) => process.stderr.write(`  .. ${s}\n`);
const fmt = (n: number, d = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

let seq = 0;
const sendTimes = new Map<number, number>();

/** Per-client counters of bodies received, by "#seq". */
function onBodies(clients: TestClient[], fn: (seq: number, at: number) => void): () => void {
  const listeners = clients.map((c) => {
    const l = (el: Element) => {
      if (el.name !== "message") return;
      const m = /#(\d+)/.exec(el.getChildText("body") ?? "");
      if (m?.[1]) fn(Number(m[1]), performance.now());
    };
    c.xmpp.on("stanza", l);
    return () => c.xmpp.removeListener("stanza", l);
  });
  // The harness client keeps every stanza; a benchmark must not.
  const trim = setInterval(() => {
    for (const c of clients) c.received.splice(0);
  }, 500);
  return () => {
    clearInterval(trim);
    for (const off of listeners) off();
  };
}

/** Sends `count` messages spread over the clients as fast as each connection takes them. */
async function blast(clients: TestClient[], count: number, to: (i: number) => string): Promise<number[]> {
  const ids: number[] = [];
  const per = Math.ceil(count / clients.length);
  await Promise.all(
    clients.map(async (c, ci) => {
      for (let k = 0; k < per && ci * per + k < count; k++) {
        const s = ++seq;
        ids.push(s);
        sendTimes.set(s, performance.now());
        await c.send(xml("message", { to: to(ci), type: "chat" }, xml("body", {}, `bench #${s}`)));
      }
    }),
  );
  return ids;
}

/** Sends at a fixed offered rate for `seconds`; resolves with the ids sent. */
async function paced(clients: TestClient[], rate: number, seconds: number, to: (i: number) => string) {
  const ids: number[] = [];
  const total = Math.round(rate * seconds);
  const tickMs = 10;
  const perTick = (rate * tickMs) / 1000;
  const start = performance.now();
  let sent = 0;
  let ci = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / tickMs + 1) * perTick));
    const sends: Promise<void>[] = [];
    while (sent < due) {
      const c = clients[ci % clients.length] as TestClient;
      const s = ++seq;
      ids.push(s);
      sendTimes.set(s, performance.now());
      sends.push(
        c.send(xml("message", { to: to(ci % clients.length), type: "chat" }, xml("body", {}, `bench #${s}`))),
      );
      ci++;
      sent++;
    }
    await Promise.all(sends);
    const next = start + ((sent / perTick) | 0) * tickMs;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return ids;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function waitCount(get: () => number, target: number, what: string, timeoutMs = 300_000) {
  await waitFor(() => get() >= target, { timeoutMs, intervalMs: 20, description: what });
}

const BENCH_LIMITS = {
  messagesPerMinute: 100_000_000,
  messagesBurst: 100_000_000,
  messagesPerDay: 100_000_000,
  segmentsPerMinute: 100_000_000,
  segmentsBurst: 100_000_000,
  segmentsPerDay: 100_000_000,
};

async function startRig(kind: XmppServerKind): Promise<Rig> {
  const server = await startXmppServer(kind, {
    components: [
      { domain: "sms.localhost", secret: SECRET },
      { domain: "echo.localhost", secret: ECHO_SECRET },
    ],
    offlineStorage: false,
    separateComponentListeners: true,
  });
  const users = Array.from({ length: CLIENTS }, (_, i) => ({ user: `u${i}`, password: `pw${i}` }));
  await server.registerMany(users);
  const redis = await startRedis({ appendOnly: false });
  const redisPid = Number(
    execFileSync("redis-cli", ["-p", String(redis.port), "info", "server"])
      .toString()
      .match(/process_id:(\d+)/)?.[1],
  );
  progress(`${kind} started; starting Redis, the sink, the gateway and the echo component`);
  await waitForPort(server.componentPort, 30_000);
  const sink = await startSink();
  const httpPort = await freePort();
  const metricsPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "xgw-bench-"));
  const config = {
    xmpp: { service: server.componentService },
    redis: { url: redis.url, prefix: "bench" },
    http: {
      listen: `127.0.0.1:${httpPort}`,
      publicUrl: PUBLIC_URL,
      bodyLimitBytes: 65536,
      // Only the all-in-one (or component + webhooks) process: a split worker would want the port too.
      ...(SPLIT_WORKER ? {} : { internalListen: `127.0.0.1:${metricsPort}` }),
    },
    // Info, as operators run it (issue 14 states its CPU figures at info).
    log: { level: "info" },
    queue: { outboundConcurrency: env("BENCH_CONCURRENCY", 100), keepCompleted: 1000 },
    allowedDomains: ["localhost"],
    gateways: [
      {
        id: "sms",
        domain: "sms.localhost",
        secret: SECRET,
        adapter: "twilio",
        defaultRegion: "US",
        twilio: { accountSid: ACCOUNT, authToken: TOKEN, apiBaseUrl: sink.url },
        users: users.map((u, i) => ({ jid: `${u.user}@localhost`, number: userNumber(i) })),
        // A few clients send everything: per-user limits far above what a run sends, and a pace
        // per sender number far above it too (the default, a long code's 1 a second, would be the
        // result), so the pacer's check of every message is paid as operators pay it.
        // BENCH_PACING=off leaves the pacer out; =omit writes no pacing key (for builds from before
        // pacing was on by default, which do not know `off`).
        limits: { perUser: BENCH_LIMITS },
        ...(process.env.BENCH_PACING === "omit"
          ? {}
          : { pacing: process.env.BENCH_PACING === "off" ? "off" : { perSecond: 10_000, burst: 10_000 } }),
      },
    ],
  };
  const file = join(dir, "gateway.yaml");
  writeFileSync(file, stringify(config));
  const profile = [
    ...gatewayNodeFlags(),
    ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_CPU_PROF] : []),
    ...(process.env.BENCH_HEAP_PROF ? ["--heap-prof", "--heap-prof-dir", process.env.BENCH_HEAP_PROF] : []),
  ];
  const startGateway = (roles: string[]) =>
    spawn(
      process.execPath,
      [...profile, join(GATEWAY_ROOT, "dist/src/cli.js"), "start", "--config", file, ...roles],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
  // BENCH_SPLIT_WORKER=1: the worker role in a process of its own (a deployment the CLI offers).
  const gateway = startGateway(SPLIT_WORKER ? ["--role", "component", "webhooks"] : []);
  const workers = SPLIT_WORKER ? [startGateway(["--role", "worker"])] : [];
  const echo = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "bench/lib/echo-component.ts"),
      server.componentServiceFor("echo.localhost"),
      "echo.localhost",
      ECHO_SECRET,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let echoOnline = false;
  echo.stdout?.on("data", (d: Buffer) => {
    if (d.toString().includes("online")) echoOnline = true;
  });
  await waitFor(() => echoOnline, { timeoutMs: 20_000, description: "the echo component" });
  progress("echo component online");
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        http
          .get(`http://127.0.0.1:${httpPort}/readyz`, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
          })
          .on("error", () => resolve(false));
      }),
    { timeoutMs: 30_000, description: "the gateway to be ready" },
  );
  progress("gateway ready; logging in the clients");
  const clients = await Promise.all(
    users.map((u) => connectClient({ server, username: u.user, password: u.password })),
  );
  return { kind, server, redis, redisPid, sink, gateway, workers, echo, httpPort, metricsPort, clients };
}

async function stopRig(r: Rig) {
  await Promise.all(r.clients.map((c) => c.stop()));
  for (const p of [r.gateway, ...r.workers]) p.kill("SIGTERM");
  r.echo.kill("SIGTERM");
  await Promise.all([r.gateway, ...r.workers, r.echo].map((p) => new Promise((res) => p.once("exit", res))));
  await r.sink.close();
  await r.redis.stop();
  await r.server.stop();
}

interface Costs {
  gwCpu: number;
  redisCpu: number;
  /** Commands Redis has processed (INFO stats), to count them per message. */
  redisCommands: number;
}
const costs = (r: Rig): Costs => ({
  gwCpu: gatewayPids(r).reduce((sum, pid) => sum + cpuSeconds(pid), 0),
  redisCpu: cpuSeconds(r.redisPid),
  redisCommands: Number(
    /total_commands_processed:(\d+)/.exec(
      execFileSync("redis-cli", ["-p", String(r.redis.port), "info", "stats"]).toString(),
    )?.[1],
  ),
});

const gatewayPids = (r: Rig) => [r.gateway, ...r.workers].map((p) => p.pid ?? 0);
const gatewayRss = (r: Rig) => gatewayPids(r).reduce((sum, pid) => sum + rssMb(pid), 0);

/** Calls per command since the last reset (INFO commandstats), for BENCH_COMMANDSTATS=1. */
function commandStats(r: Rig, reset: boolean): Map<string, number> {
  const cli = (...a: string[]) => execFileSync("redis-cli", ["-p", String(r.redis.port), ...a]).toString();
  const stats = new Map<string, number>();
  for (const m of cli("info", "commandstats").matchAll(/cmdstat_(\S+?):calls=(\d+)/g)) {
    stats.set(m[1] as string, Number(m[2]));
  }
  // Bytes to and from Redis (reset with the counts), printed on their own line, and the socket
  // reads and writes Redis made: how well the gateway coalesces its writes per turn.
  const info = cli("info", "stats");
  for (const m of info.matchAll(/total_net_(input|output)_bytes:(\d+)/g)) {
    stats.set(`bytes ${m[1]}`, Number(m[2]));
  }
  for (const m of info.matchAll(/total_(reads|writes)_processed:(\d+)/g)) {
    stats.set(`socket ${m[1]}`, Number(m[2]));
  }
  if (reset) cli("config", "resetstat");
  return stats;
}

function printCommandStats(r: Rig, what: string, count: number) {
  if (process.env.BENCH_COMMANDSTATS !== "1") return;
  const stats = commandStats(r, true);
  const bytes = (dir: string) => fmt((stats.get(`bytes ${dir}`) ?? 0) / count, 0);
  progress(
    `${what}, bytes per message to Redis ${bytes("input")}, from Redis ${bytes("output")}; ` +
      `socket reads by Redis per message ${fmt((stats.get("socket reads") ?? 0) / count, 2)}, ` +
      `writes ${fmt((stats.get("socket writes") ?? 0) / count, 2)}`,
  );
  const top = [...stats]
    .filter(([c]) => !c.includes(" ")) // command names have no spaces; the byte and socket counts do
    .sort((a, b) => b[1] - a[1])
    .slice(0, 40);
  progress(
    `${what}, Redis commands per message: ${top.map(([c, n]) => `${c} ${fmt(n / count, 2)}`).join(", ")}`,
  );
}

/** The gateway's JS heap in use, from its /metrics (prom-client's default metrics). */
async function heapUsedMb(r: Rig): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${r.metricsPort}/metrics`)).text();
  const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  return m?.[1] ? Number(m[1]) / 2 ** 20 : Number.NaN;
}

/** Outbound throughput: echo baseline vs gateway -> sink. */
async function throughput(r: Rig, count: number) {
  let echoed = 0;
  const off = onBodies(r.clients, () => echoed++);
  const t0 = performance.now();
  await blast(r.clients, count, () => "x@echo.localhost");
  await waitCount(() => echoed, count, "echo replies");
  const echoRate = count / ((performance.now() - t0) / 1000);
  off();

  r.sink.reset();
  const c0 = costs(r);
  const t1 = performance.now();
  await blast(r.clients, count, () => `${CONTACT}@sms.localhost`);
  await waitCount(() => r.sink.arrivals.size, count, "messages at the sink");
  const gwRate = count / ((performance.now() - t1) / 1000);
  const c1 = costs(r);
  return {
    echoRate,
    gwRate,
    gwCpuPer1000: ((c1.gwCpu - c0.gwCpu) / count) * 1000,
    redisCpuPer1000: ((c1.redisCpu - c0.redisCpu) / count) * 1000,
  };
}

/**
 * One client keeps `window` messages in flight (sent, not yet arrived) until `count` are sent:
 * `arrived()` counts arrivals and `wake` is called by the arrival hook when one lands.
 */
async function windowed(
  c: TestClient,
  count: number,
  to: (i: number) => string,
  arrived: () => number,
  onWake: (wake: () => void) => void,
): Promise<void> {
  let wake: (() => void) | undefined;
  onWake(() => {
    const w = wake;
    wake = undefined;
    w?.();
  });
  for (let i = 0; i < count; i++) {
    while (i - arrived() >= WINDOW) await new Promise<void>((resolve) => (wake = resolve));
    const s = ++seq;
    sendTimes.set(s, performance.now());
    await c.send(xml("message", { to: to(i), type: "chat" }, xml("body", {}, `bench #${s}`)));
  }
}

/**
 * Outbound, distinct numbers: one client, WINDOW in flight, every message to a number of its own
 * (`offset` picks the numbers: the same offset again is the warm run), beside the echo component
 * driven the same way in the same run.
 */
async function distinctOutbound(r: Rig, count: number, offset: number, echoRate?: number) {
  const c = r.clients[0] as TestClient;
  let baseline = echoRate;
  if (baseline === undefined) {
    let echoed = 0;
    let wakeEcho = () => {};
    const off = onBodies([c], () => {
      echoed++;
      wakeEcho();
    });
    const t0 = performance.now();
    await windowed(
      c,
      count,
      (i) => `${distinctNumber(offset + i)}@echo.localhost`,
      () => echoed,
      (w) => (wakeEcho = w),
    );
    await waitCount(() => echoed, count, "echo replies");
    baseline = count / ((performance.now() - t0) / 1000);
    off();
  }
  r.sink.reset();
  const c0 = costs(r);
  const t1 = performance.now();
  await windowed(
    c,
    count,
    (i) => `${distinctNumber(offset + i)}@sms.localhost`,
    () => r.sink.arrivals.size,
    (w) => (r.sink.onArrival = w),
  );
  await waitCount(() => r.sink.arrivals.size, count, "messages at the sink");
  const gwRate = count / ((performance.now() - t1) / 1000);
  const c1 = costs(r);
  r.sink.onArrival = undefined;
  return {
    echoRate: baseline,
    gwRate,
    gwCpuPer1000: ((c1.gwCpu - c0.gwCpu) / count) * 1000,
    redisCpuPer1000: ((c1.redisCpu - c0.redisCpu) / count) * 1000,
    redisCommands: (c1.redisCommands - c0.redisCommands) / count,
  };
}

async function latency(r: Rig, rate: number) {
  const echoLat: number[] = [];
  const off = onBodies(r.clients, (s, at) => {
    const t = sendTimes.get(s);
    if (t !== undefined) echoLat.push(at - t);
  });
  const ids = await paced(r.clients, rate, RATE_SECONDS, () => "x@echo.localhost");
  await waitCount(() => echoLat.length, ids.length, "echo replies", 60_000);
  off();

  r.sink.reset();
  const gwIds = await paced(r.clients, rate, RATE_SECONDS, () => `${CONTACT}@sms.localhost`);
  await waitCount(() => r.sink.arrivals.size, gwIds.length, "messages at the sink", 60_000);
  const gwLat = gwIds.map((s) => (r.sink.arrivals.get(s) ?? Number.NaN) - (sendTimes.get(s) ?? 0));
  echoLat.sort((a, b) => a - b);
  gwLat.sort((a, b) => a - b);
  return { echo: echoLat, gw: gwLat };
}

/** Inbound: signed webhooks posted concurrently until delivered to the logged-in clients. */
async function inbound(r: Rig, count: number, from: (i: number) => string = () => CONTACT, concurrency = 64) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const path = "/webhooks/sms/message";
  const latencies: number[] = [];
  const postedAt = new Map<number, number>();
  let delivered = 0;
  const off = onBodies(r.clients, (s, at) => {
    const t = postedAt.get(s);
    if (t !== undefined) {
      delivered++;
      latencies.push(at - t);
    }
  });
  // Signed before the clock starts: signing is the provider's work, not the gateway's, and on a
  // shared machine it would take CPU from the gateway while it is measured.
  const requests = Array.from({ length: count }, (_, i) => {
    const s = ++seq;
    const params: Record<string, string> = {
      MessageSid: `SM${s.toString(16).padStart(32, "0")}`,
      AccountSid: ACCOUNT,
      From: from(i),
      To: userNumber(i % CLIENTS),
      Body: `in #${s}`,
      NumMedia: "0",
    };
    const body = new URLSearchParams(params).toString();
    const signature = twilio.getExpectedTwilioSignature(TOKEN, `${PUBLIC_URL}${path}`, params);
    return { s, body, signature };
  });
  const c0 = costs(r);
  const t0 = performance.now();
  let next = 0;
  let failures = 0;
  const post = (i: number) =>
    new Promise<void>((resolve) => {
      const { s, body, signature } = requests[i] as (typeof requests)[number];
      postedAt.set(s, performance.now());
      const req = http.request(
        {
          host: "127.0.0.1",
          port: r.httpPort,
          path,
          method: "POST",
          agent,
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            "content-length": Buffer.byteLength(body),
            "x-twilio-signature": signature,
          },
        },
        (res) => {
          if (res.statusCode !== 200) failures++;
          res.resume();
          res.on("end", () => resolve());
        },
      );
      req.on("error", () => {
        failures++;
        resolve();
      });
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await post(next++);
    }),
  );
  const answered = performance.now();
  await waitCount(() => delivered, count - failures, "inbound deliveries");
  const done = performance.now();
  off();
  agent.destroy();
  const c1 = costs(r);
  latencies.sort((a, b) => a - b);
  return {
    acceptedRate: count / ((answered - t0) / 1000),
    deliveredRate: count / ((done - t0) / 1000),
    failures,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    gwCpuPer1000: ((c1.gwCpu - c0.gwCpu) / count) * 1000,
    redisCpuPer1000: ((c1.redisCpu - c0.redisCpu) / count) * 1000,
    redisCommands: (c1.redisCommands - c0.redisCommands) / count,
  };
}

async function memory(r: Rig, each: number) {
  const rss = () => gatewayRss(r);
  const before = rss();
  const samples: number[] = [];
  /** RSS right after each chunk (the same moment of the cycle each time: comparable). */
  const checkpoints: number[] = [];
  const timer = setInterval(() => samples.push(rss()), 1000);
  const chunk = 20_000;
  for (let done = 0; done < each; done += chunk) {
    const n = Math.min(chunk, each - done);
    r.sink.reset();
    await blast(r.clients, n, () => `${CONTACT}@sms.localhost`);
    await waitCount(() => r.sink.arrivals.size, n, "messages at the sink");
    await inbound(r, n);
    checkpoints.push(rss());
    samples.push(rss());
    progress(
      `${fmt(done + n)} each way, gateway RSS ${fmt(rss(), 1)} MB, JS heap used ${fmt(await heapUsedMb(r), 1)} MB`,
    );
  }
  clearInterval(timer);
  // RSS right after a burst is the burst; let the gateway sit idle for 10 s (the queues are
  // drained) and take the lowest reading as what it settles to.
  const idle: number[] = [];
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    idle.push(rss());
  }
  // Trend: least-squares slope of the checkpoints of the second half, in MB per 100,000 each way.
  const half = checkpoints.slice(Math.floor(checkpoints.length / 2));
  const xs = half.map((_, i) => (i * chunk) / 100_000);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  const mx = mean(xs);
  const my = mean(half);
  const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const slope = den === 0 ? 0 : xs.reduce((a, x, i) => a + (x - mx) * ((half[i] as number) - my), 0) / den;
  return { before, peak: Math.max(...samples), after: Math.min(...idle), checkpoints, slope };
}

/**
 * The distinct-numbers workloads, first thing after the gateway starts: inbound cold (a fresh
 * process, numbers never heard from), outbound cold (numbers never sent to) beside the echo
 * component, then both again with the same numbers (warm).
 */
async function distinctWorkloads(r: Rig) {
  const from = (i: number) => distinctNumber(500_000 + i);
  progress(`inbound, distinct numbers, cold: ${fmt(DISTINCT_INBOUND)} webhooks`);
  const inCold = await inbound(r, DISTINCT_INBOUND, from);
  printCommandStats(r, "inbound, cold", DISTINCT_INBOUND);
  progress(`outbound, distinct numbers, cold: ${fmt(DISTINCT)} messages, ${fmt(WINDOW)} in flight`);
  const outCold = await distinctOutbound(r, DISTINCT, 0);
  printCommandStats(r, "outbound, cold", DISTINCT);
  progress("outbound, distinct numbers, warm");
  const outWarm = await distinctOutbound(r, DISTINCT, 0, outCold.echoRate);
  progress("inbound, distinct numbers, warm");
  const inWarm = await inbound(r, DISTINCT_INBOUND, from);
  log(
    `\n0. Distinct numbers: one client, ${fmt(WINDOW)} in flight, ${fmt(DISTINCT)} messages to as many numbers;`,
  );
  log(`   ${fmt(DISTINCT_INBOUND)} signed webhooks from as many numbers, 64 keep-alive connections`);
  log(
    "| workload | msg/s | echo ceiling | ratio | p99 ms | gw CPU ms/msg | redis CPU ms/msg | redis commands/msg | non-200 |",
  );
  log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const [name, o] of [
    ["outbound, cold", outCold],
    ["outbound, warm", outWarm],
  ] as const) {
    log(
      `| ${name} | ${fmt(o.gwRate)} | ${fmt(o.echoRate)} | ${fmt(o.gwRate / o.echoRate, 2)} | | ${fmt(o.gwCpuPer1000, 3)} | ${fmt(o.redisCpuPer1000, 3)} | ${fmt(o.redisCommands, 1)} | |`,
    );
  }
  for (const [name, i] of [
    ["inbound, cold process", inCold],
    ["inbound, warm", inWarm],
  ] as const) {
    log(
      `| ${name} | ${fmt(i.deliveredRate)} | | | ${fmt(i.p99, 1)} | ${fmt(i.gwCpuPer1000, 3)} | ${fmt(i.redisCpuPer1000, 3)} | ${fmt(i.redisCommands, 1)} | ${i.failures} |`,
    );
  }
}

async function main() {
  progress(`building ${GATEWAY_ROOT} (npm run build)`);
  execFileSync("npm", ["run", "build", "--silent"], { cwd: GATEWAY_ROOT, stdio: "inherit" });
  log(`xmpp-gateway benchmark — ${new Date().toISOString()}`);
  log(
    `gateway: ${join(GATEWAY_ROOT, "dist")} (${execFileSync("git", ["-C", GATEWAY_ROOT, "log", "-1", "--format=%h %s"]).toString().trim().slice(0, 90)})`,
  );
  log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? "?"}, ${fmt(totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}`,
  );
  log(
    SPLIT_WORKER
      ? "gateway: two processes, --role component webhooks and --role worker (BENCH_SPLIT_WORKER=1)"
      : "gateway: one process, all roles (the default)",
  );
  log(
    `gateway Node options: ${gatewayNodeFlags().join(" ") || "none"}${process.env.BENCH_SHIPPED_FLAGS === "off" ? " (BENCH_SHIPPED_FLAGS=off)" : ""}`,
  );
  log(
    `Prosody network_settings.nagle = ${process.env.XGW_PROSODY_NAGLE === "on" ? "true (Prosody's default; XGW_PROSODY_NAGLE=on)" : "false (as config/prosody.cfg.lua recommends; XGW_PROSODY_NAGLE=on for the default)"}`,
  );
  log(
    `messages ${fmt(N)}, clients ${CLIENTS}, rates ${RATES.join("/")} msg/s for ${RATE_SECONDS} s, inbound ${fmt(INBOUND)}`,
  );
  for (const kind of SERVERS) {
    log(`\n== ${kind} ==`);
    const r = await startRig(kind);
    try {
      if (DISTINCT > 0) await distinctWorkloads(r);
      if (ONLY_DISTINCT) continue;
      progress("warming up");
      await throughput(r, Math.min(2000, N)); // warm-up: JIT, connection pools, Redis scripts
      progress(`outbound throughput, ${fmt(N)} messages each path`);
      const t = await throughput(r, N);
      log("\n1. Outbound throughput (client -> server -> component -> ...)");
      log("| path | messages/s | ratio |");
      log("|---|---:|---:|");
      log(`| echo component (baseline) | ${fmt(t.echoRate)} | 1.00 |`);
      log(`| gateway -> queue -> sink | ${fmt(t.gwRate)} | ${fmt(t.gwRate / t.echoRate, 2)} |`);

      log("\n2. Latency, client send -> sink receipt (gateway) or -> echo back at the client (baseline), ms");
      log("| offered msg/s | baseline p50 | p95 | p99 | gateway p50 | p95 | p99 | p99 added |");
      log("|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (const rate of RATES) {
        progress(`latency at ${fmt(rate)} msg/s`);
        const l = await latency(r, rate);
        const e = (p: number) => percentile(l.echo, p);
        const g = (p: number) => percentile(l.gw, p);
        log(
          `| ${fmt(rate)} | ${fmt(e(50), 1)} | ${fmt(e(95), 1)} | ${fmt(e(99), 1)} | ${fmt(g(50), 1)} | ${fmt(g(95), 1)} | ${fmt(g(99), 1)} | ${fmt(g(99) - e(99), 1)} |`,
        );
      }

      progress("warming up the inbound path");
      await inbound(r, Math.min(2000, INBOUND));
      progress(`inbound, ${fmt(INBOUND)} webhooks`);
      const i = await inbound(r, INBOUND);
      log("\n3. Inbound: signed webhooks posted concurrently (64) until delivered to the clients");
      log("| webhooks | answered/s | delivered/s | p50 ms | p99 ms | non-200 |");
      log("|---:|---:|---:|---:|---:|---:|");
      log(
        `| ${fmt(INBOUND)} | ${fmt(i.acceptedRate)} | ${fmt(i.deliveredRate)} | ${fmt(i.p50, 1)} | ${fmt(i.p99, 1)} | ${i.failures} |`,
      );

      log("\n5. CPU seconds per 1,000 messages");
      log("| direction | gateway | redis |");
      log("|---|---:|---:|");
      log(`| outbound | ${fmt(t.gwCpuPer1000, 3)} | ${fmt(t.redisCpuPer1000, 3)} |`);
      log(`| inbound | ${fmt(i.gwCpuPer1000, 3)} | ${fmt(i.redisCpuPer1000, 3)} |`);

      if (MEMORY_MESSAGES > 0 && kind === SERVERS[SERVERS.length - 1]) {
        progress(`memory, ${fmt(MEMORY_MESSAGES)} messages each way (prints a line per 20,000)`);
        const m = await memory(r, MEMORY_MESSAGES);
        log(`\n4. Gateway resident memory, ${fmt(MEMORY_MESSAGES)} messages each way, MB`);
        log("| before | peak | after 10 s idle | growth | trend, second half (MB per 100,000 each way) |");
        log("|---:|---:|---:|---:|---:|");
        log(
          `| ${fmt(m.before, 1)} | ${fmt(m.peak, 1)} | ${fmt(m.after, 1)} | ${fmt(m.after - m.before, 1)} | ${fmt(m.slope, 1)} |`,
        );
        log(`\nRSS after each 20,000 each way, MB: ${m.checkpoints.map((c) => fmt(c, 0)).join(", ")}`);
      }
    } finally {
      await stopRig(r);
    }
  }
}

await main();
process.exit(0);
