/**
 * Redis for integration tests.
 *
 * Most tests share the machine's Redis (`redisUrl()`, REDIS_URL or redis://127.0.0.1:6379) and
 * keep out of each other's way with a unique key/queue prefix (`uniquePrefix(name)`). Tests that
 * must stop or restart Redis start their own with `startRedis()`.
 */
import { randomBytes } from "node:crypto";
import net from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { freePort, LOOPBACK, waitForPortClosed } from "./ports.js";
import { type ManagedProcess, makeTempDir, spawnManaged } from "./process.js";
import { tail } from "./server-util.js";
import { waitFor, withTimeout } from "./wait.js";

/** The shared Redis every test may use (with its own prefix). */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
}

/**
 * A prefix no other test (or test run) uses: `xgwtest-<name>-<random>`. Only [a-z0-9-], so it is
 * safe inside BullMQ prefixes, Redis keys and hash tags.
 */
export function uniquePrefix(name: string): string {
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40) || "test";
  return `xgwtest-${slug}-${Date.now().toString(36)}${randomBytes(4).toString("hex")}`;
}

export interface RedisOptions {
  /** AOF with fsync on every write (`--appendonly yes --appendfsync always`), for durability tests. */
  appendOnly?: boolean;
  /** `--requirepass`: clients must authenticate (the URL of the returned Redis carries no password). */
  requirePass?: string;
}

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Its data directory (the AOF lives here). */
  readonly dir: string;
  /** SIGTERM and wait for exit and the port to close. With appendOnly, data survives into start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory after stop(). */
  start(): Promise<void>;
  /** Kills it with SIGKILL (a crash) and waits for the port to close. */
  kill(): Promise<void>;
}

/** Sends PING over a raw socket; true on +PONG (false while loading or not listening). */
export function redisPing(port: number, host = LOOPBACK, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    let reply = "";
    const done = (ok: boolean) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    const auth = password === undefined ? "" : `AUTH ${password}\r\n`;
    socket.once("connect", () => socket.write(`${auth}PING\r\n`));
    socket.on("data", (d: Buffer) => {
      reply += d.toString("utf8");
      const answers = reply.split("\r\n");
      if (answers.length > (password === undefined ? 1 : 2))
        done(answers.at(-2)?.startsWith("+PONG") ?? false);
    });
  });
}

class OwnRedis implements TestRedis {
  readonly url: string;
  private proc: ManagedProcess | undefined;

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
    private readonly password?: string,
  ) {
    this.url = `redis://${LOOPBACK}:${port}`;
  }

  async start(): Promise<void> {
    if (this.proc?.isRunning()) throw new Error("redis is already running");
    const proc = spawnManaged("redis-server", "redis-server", this.args, { cwd: this.dir });
    this.proc = proc;
    try {
      await waitFor(
        async () => {
          if (!proc.isRunning()) throw new Error("redis-server exited");
          return redisPing(this.port, LOOPBACK, this.password);
        },
        { timeoutMs: 15_000, intervalMs: 25, description: `redis on port ${this.port} to answer PING` },
      );
    } catch (err) {
      await proc.stop(2000);
      throw new Error(`${(err as Error).message}\n${tail(proc.output())}`);
    }
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    await withTimeout(proc.stop(10_000), 15_000, "redis-server to exit");
    await waitForPortClosed(this.port, 5000);
    this.proc = undefined;
  }

  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    process.kill(-proc.pid, "SIGKILL");
    await withTimeout(proc.exited, 10_000, "redis-server to die");
    await waitForPortClosed(this.port, 5000);
    this.proc = undefined;
  }
}

/** Starts a private redis-server on a free loopback port in its own temporary directory. */
export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const dir = makeTempDir("redis");
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    LOOPBACK,
    "--dir",
    dir,
    "--daemonize",
    "no",
    "--save",
    "",
    "--maxmemory-policy",
    "noeviction",
    "--logfile",
    "",
    ...(options.appendOnly ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
    ...(options.requirePass === undefined ? [] : ["--requirepass", options.requirePass]),
  ];
  const redis = new OwnRedis(port, dir, args, options.requirePass);
  await redis.start();
  return redis;
}

/**
 * A redis-server of the test file's own (`startRedis`) and a client of it, started before the
 * file's tests and stopped after them: for tests that flush its script cache, fill its memory or
 * reset its command statistics.
 */
export function useOwnRedis(): { readonly redis: Redis } {
  let server: TestRedis | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    server = await startRedis();
    client = new Redis(server.url, { maxRetriesPerRequest: 3 });
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
  return {
    get redis(): Redis {
      if (!client) throw new Error("useOwnRedis: its Redis is there from beforeAll on");
      return client;
    },
  };
}
