/**
 * Chaos: Redis is unreachable when the gateway starts. The gateway (the CLI as a child process)
 * must say so clearly, naming Redis and its URL without the password, keep waiting instead of
 * exiting or starting half-seeded, and work normally once Redis appears.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  COMPONENT,
  CONTACT,
  chaosConfig,
  type GatewayProcess,
  reportCounts,
  SECRET,
  type SmsSink,
  spawnGateway,
  startSmsSink,
  tally,
  writeConfigFile,
} from "../../harness/chaos.js";
import { freePort } from "../../harness/ports.js";
import { startRedis, type TestRedis, uniquePrefix } from "../../harness/redis.js";
import { waitFor, withTimeout } from "../../harness/wait.js";
import { connectClient, type TestClient } from "../../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../../harness/xmpp-server.js";

const REDIS_PASSWORD = "redis-pw-never-logged-3b9e";

describe("chaos: Redis unreachable at start-up", () => {
  let server: XmppServer;
  let redis: TestRedis;
  let sink: SmsSink;
  let gw: GatewayProcess | undefined;
  let alice: TestClient | undefined;

  beforeAll(async () => {
    [server, redis, sink] = await Promise.all([
      startXmppServer("prosody", { components: [{ domain: COMPONENT, secret: SECRET }] }),
      startRedis(),
      startSmsSink(),
    ]);
    await server.register("alice", "alice-pw");
    await redis.stop();
  });

  afterAll(async () => {
    await alice?.stop();
    await gw?.proc.stop(5000);
    await Promise.all([server?.stop(), redis?.stop(), sink?.close()]);
  });

  it("says which Redis it waits for, does not exit, and recovers when Redis appears", async () => {
    const started = Date.now();
    // A password in the URL (Redis without requirepass ignores it) to check it is never logged.
    const url = `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}`;
    const config = chaosConfig({
      redisUrl: url,
      prefix: uniquePrefix("chaos-redis-startup"),
      xmppService: server.componentService,
      sinkUrl: sink.url,
      httpListen: `127.0.0.1:${await freePort()}`,
    });
    const g = spawnGateway(writeConfigFile(config));
    gw = g;
    const line = await g.waitForLine(/Redis at .* is unreachable/);
    expect(line).toContain(`redis://127.0.0.1:${redis.port}`);
    expect(line).toContain("ECONNREFUSED");
    // Still waiting, not exited: its attempts keep coming while Redis stays away.
    await g.waitForLine(/"msg":"Redis connection error/);
    expect(g.proc.isRunning()).toBe(true);
    expect(g.lines.join("\n")).not.toContain("config user not seeded");

    await redis.start();
    await g.waitForLine(/Redis at .* is reachable; starting/);
    await g.waitForLine("component online");
    alice = await connectClient({ server, username: "alice", password: "alice-pw" });
    // The config user was seeded after Redis came up: alice may send.
    const bodies = Array.from({ length: 20 }, (_, i) => `startup-${i}`);
    for (const b of bodies) await alice.sendMessage(`${CONTACT}@${COMPONENT}`, b);
    await waitFor(() => tally(bodies, sink.accepted).delivered === bodies.length, {
      timeoutMs: 20_000,
      description: "every message to reach the sink",
    });
    expect(alice.received.filter((el) => el.attrs.type === "error").map(String)).toEqual([]);
    const t = tally(bodies, sink.accepted);
    expect(sink.arrivals.every((a) => a.body.startsWith("startup-"))).toBe(true);
    expect(t.duplicates).toBe(0);
    expect(sink.arrivals.length).toBe(bodies.length);
    expect(g.lines.join("\n")).not.toContain(REDIS_PASSWORD);

    await withTimeout(g.proc.stop(10_000), 15_000, "the gateway to exit on SIGTERM");
    const exit = await g.proc.exited;
    expect(exit.code).toBe(0);
    reportCounts("redis-unreachable-at-startup", {
      sent: bodies.length,
      accepted: bodies.length,
      delivered: t.delivered,
      duplicates: t.duplicates,
      lost: t.missing.length,
      waitedForRedisMs: Date.now() - started,
    });
  }, 90_000);
});
