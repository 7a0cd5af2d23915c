/**
 * A SIGTERM while Redis is away: BullMQ's closes would wait for Redis forever (their QUIT sits
 * in ioredis's offline queue), so the stop is bounded. The gateway must exit 0, soon, saying
 * once why it did not wait, with no stack trace.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  COMPONENT,
  chaosConfig,
  type GatewayProcess,
  SECRET,
  type SmsSink,
  spawnGateway,
  startSmsSink,
  writeConfigFile,
} from "../../harness/chaos.js";
import { freePort } from "../../harness/ports.js";
import { startRedis, type TestRedis, uniquePrefix } from "../../harness/redis.js";
import { startXmppServer, type XmppServer } from "../../harness/xmpp-server.js";

let server: XmppServer;
let redis: TestRedis;
let sink: SmsSink;
let gateway: GatewayProcess | undefined;

beforeAll(async () => {
  [server, redis, sink] = await Promise.all([
    startXmppServer("prosody", { components: [{ domain: COMPONENT, secret: SECRET }] }),
    startRedis(),
    startSmsSink(),
  ]);
}, 60_000);

afterAll(async () => {
  await gateway?.proc.stop(5_000);
  await Promise.all([server?.stop(), redis?.stop(), sink?.close()]);
});

it("stops within a few seconds and exits 0 when Redis went away while it ran", async () => {
  const config = chaosConfig({
    redisUrl: redis.url,
    prefix: uniquePrefix("away"),
    xmppService: server.componentService,
    sinkUrl: sink.url,
    httpListen: `127.0.0.1:${await freePort()}`,
  });
  const g = spawnGateway(writeConfigFile(config));
  gateway = g;
  await g.waitForLine("component online");
  await redis.kill();
  await g.waitForLine(/Redis connection error|reconnect/i);

  const t0 = Date.now();
  await g.proc.stop(30_000);
  const exit = await g.proc.exited;
  const tookMs = Date.now() - t0;
  const tail = g.lines.slice(-20).join("\n");

  expect(exit.code, tail).toBe(0);
  // The bound while Redis is away is 2 s; 15 s is start.ts's force exit, which this must not reach.
  expect(tookMs, tail).toBeLessThan(6_000);
  expect(
    g.lines.filter((l) => l.includes("stopping did not finish in time")),
    tail,
  ).toHaveLength(1);
  expect(
    g.lines.some((l) => l.includes('"stopped"')),
    tail,
  ).toBe(true);
  expect(
    g.lines.some((l) => l.includes("did not stop in time")),
    tail,
  ).toBe(false);
  expect(
    g.lines.filter((l) => /^\s+at /.test(l) || l.includes("\\n    at ")),
    tail,
  ).toEqual([]);
}, 90_000);
