/**
 * The component's life on a real Prosody: a half-open connection is caught by XEP-0199 pings and
 * replaced; a refused secret stops the gateway with a clear line and exit code 2 (no retry loop);
 * SIGTERM shuts down cleanly.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { RedisRegistrationStore } from "../../src/store/registrations.js";
import { startTestGateway } from "../harness/gateway.js";
import { freePort } from "../harness/ports.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";
import { startTcpProxy } from "../harness/tcp-proxy.js";
import { waitFor, withTimeout } from "../harness/wait.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const SECRET = "lifecycle-secret-3c1d";

describe("component lifecycle on Prosody", () => {
  let server: XmppServer;

  beforeAll(async () => {
    server = await startXmppServer("prosody", { components: [{ domain: "sms.localhost", secret: SECRET }] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const gatewayConfig = (service: string, secret: string) => ({
    xmpp: {
      service,
      pingIntervalMs: 1000,
      pingTimeoutMs: 500,
      reconnectInitialDelayMs: 50,
      reconnectMaxDelayMs: 500,
    },
    allowedDomains: ["localhost"],
    gateways: [{ id: "sms", domain: "sms.localhost", secret, adapter: "simulator" }],
  });

  it("catches a half-open connection with pings and reconnects", async () => {
    const proxy = await startTcpProxy(server.componentPort);
    const gw = await startTestGateway({ config: gatewayConfig(`xmpp://127.0.0.1:${proxy.port}`, SECRET) });
    try {
      await gw.online();
      const transport = gw.gateway.transports.get("sms");
      if (!transport) throw new Error("no transport");
      const offline = new Promise<void>((resolve) => transport.once("offline", () => resolve()));
      const connectionsBefore = proxy.connections;
      proxy.blackhole();
      await withTimeout(offline, 5000, "the transport to notice the dead link");
      await withTimeout(
        new Promise<void>((resolve) => transport.once("online", () => resolve())),
        10_000,
        "the transport to reconnect through a fresh connection",
      );
      expect(proxy.connections).toBeGreaterThan(connectionsBefore);
      expect(gw.logLines.join("")).toContain("ping unanswered: dropping the connection");
    } finally {
      await gw.stop();
      await proxy.close();
    }
  });

  it("stops on a refused secret with a clear log line and exit code 2", async () => {
    const child = await startCli(gatewayConfig(server.componentService, "the-wrong-secret-9f9f"));
    const exit = await withTimeout(exited(child.proc), 20_000, "the gateway to give up");
    expect(exit).toBe(2);
    const out = child.output();
    expect(out).toMatch(/refused the secret for component sms\.localhost \(not-authorized\)/);
    expect(out).not.toContain("the-wrong-secret-9f9f");
    // It gave up instead of retrying every second: a single connection attempt was logged.
    expect(out.match(/"msg":"connecting"/g)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it("shuts down cleanly on SIGTERM", async () => {
    const child = await startCli(gatewayConfig(server.componentService, SECRET));
    await waitFor(() => child.output().includes("component online"), {
      timeoutMs: 20_000,
      description: "the gateway to come online",
    });
    child.proc.kill("SIGTERM");
    const exit = await withTimeout(exited(child.proc), 15_000, "the gateway to exit after SIGTERM");
    expect(exit).toBe(0);
    expect(child.output()).toContain('"msg":"stopped"');
  });

  it("reloads the log level and the config users on SIGHUP, and keeps running", async () => {
    const base = gatewayConfig(server.componentService, SECRET);
    const prefix = uniquePrefix("hup");
    const listen = `127.0.0.1:${await freePort()}`;
    const write = (level: string, users: { jid: string; number: string }[]) =>
      stringify({
        ...base,
        redis: { url: redisUrl(), prefix },
        http: { listen },
        log: { level },
        gateways: base.gateways.map((g) => ({ ...g, users })),
      });
    const file = join(mkdtempSync(join(tmpdir(), "xgw-hup-")), "gateway.yaml");
    writeFileSync(file, write("info", []));
    const child = spawnCli(file);
    try {
      await waitFor(() => child.output().includes("component online"), {
        timeoutMs: 20_000,
        description: "the gateway to come online",
      });
      writeFileSync(file, write("debug", [{ jid: "hup@localhost", number: "+15550007777" }]));
      child.proc.kill("SIGHUP");
      await waitFor(
        () =>
          child
            .output()
            .includes("SIGHUP: configuration reloaded (log level info -> debug; users: 1 bound, 0 unbound)"),
        { timeoutMs: 10_000, description: "the reload to be logged" },
      );
      expect(child.proc.exitCode).toBeNull();
      const redis = new Redis(redisUrl());
      try {
        const store = new RedisRegistrationStore(redis, prefix);
        expect(await store.byJid("sms", "hup@localhost")).toMatchObject({ address: "+15550007777" });
      } finally {
        redis.disconnect();
      }
      // A file with a mistake reloads nothing and still does not stop the gateway.
      writeFileSync(file, "gateways: [");
      child.proc.kill("SIGHUP");
      await waitFor(() => child.output().includes("SIGHUP: the configuration file has problems"), {
        timeoutMs: 10_000,
        description: "the refused reload to be logged",
      });
      expect(child.proc.exitCode).toBeNull();
    } finally {
      child.proc.kill("SIGTERM");
      expect(await withTimeout(exited(child.proc), 15_000, "the gateway to exit")).toBe(0);
    }
  });

  async function startCli(config: ReturnType<typeof gatewayConfig>) {
    const dir = mkdtempSync(join(tmpdir(), "xgw-life-"));
    const file = join(dir, "gateway.yaml");
    const full = {
      ...config,
      redis: { url: redisUrl(), prefix: uniquePrefix("life") },
      // A free port: never the default 127.0.0.1:8080, which something else may hold.
      http: { listen: `127.0.0.1:${await freePort()}` },
      log: { level: "debug" },
    };
    writeFileSync(file, stringify(full));
    return spawnCli(file);
  }

  function spawnCli(file: string) {
    const chunks: string[] = [];
    const proc = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "src/cli.ts"), "start", "--config", file],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    proc.stdout?.on("data", (d: Buffer) => chunks.push(d.toString()));
    proc.stderr?.on("data", (d: Buffer) => chunks.push(d.toString()));
    return { proc, output: () => chunks.join("") };
  }
});

function exited(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) resolve(proc.exitCode);
    else proc.once("exit", (code) => resolve(code));
  });
}
