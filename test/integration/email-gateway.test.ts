// The email gateway as `xmpp-gateway start` runs it (the real CLI, real Redis, swaks): the core
// starts the adapter's SMTP listener in the webhooks role and closes it on SIGTERM; the listener
// accepts mail for config users and for users registered while it runs (the registration store),
// 550 for anyone else; a listen address in use is one start-up line naming the option, exit 69.
import net from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisRegistrationStore } from "../../src/store/registrations.js";
import { runCli, spawnCli, writeConfigFile } from "../harness/cli.js";
import { freePort, isPortOpen, waitForPort, waitForPortClosed } from "../harness/ports.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";
import { swaks } from "../harness/swaks.js";
import { waitFor } from "../harness/wait.js";

const DOMAIN = "mail.localhost";

async function config(listenPort: number, internalPort = 0, prefix = uniquePrefix("email-gw")) {
  return {
    // A closed port: the component keeps trying to connect, nothing here needs it.
    xmpp: { service: `xmpp://127.0.0.1:${await freePort()}` },
    redis: { url: redisUrl(), prefix },
    http: {
      listen: `127.0.0.1:${await freePort()}`,
      ...(internalPort > 0 ? { internalListen: `127.0.0.1:${internalPort}` } : {}),
    },
    allowedDomains: ["localhost"],
    gateways: [
      {
        id: "mail",
        domain: DOMAIN,
        secret: "email-gateway-secret-31",
        adapter: "email",
        email: { listen: `127.0.0.1:${listenPort}`, relay: { host: "127.0.0.1", port: await freePort() } },
        users: [{ jid: "alice@localhost", address: `alice@${DOMAIN}` }],
      },
    ],
  };
}

const mail = (port: number, to: string) =>
  swaks({ port, from: "bob@example.com", to, header: ["Subject: hi"], body: "hello" });

describe("the email gateway started by the CLI", { timeout: 120_000 }, () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
  });
  afterAll(() => redis.disconnect());

  it("listens for mail once started, to config users and runtime registrations, and stops listening on SIGTERM", async () => {
    const port = await freePort();
    const cfg = await config(port);
    const gw = spawnCli(["start", "--config", writeConfigFile(cfg)]);
    try {
      await waitFor(() => gw.output().includes("adapter listener started"), {
        timeoutMs: 60_000,
        description: "the gateway to start the SMTP listener",
      });
      const toAlice = await mail(port, `alice@${DOMAIN}`);
      expect(toAlice.code, toAlice.transcript).toBe(0);
      expect(toAlice.lastReply).toMatch(/^250 /);

      const toCarol = await mail(port, `carol@${DOMAIN}`);
      expect(toCarol.code).not.toBe(0);
      expect(toCarol.replies.some((r) => r.startsWith("550 "))).toBe(true);

      // Carol registers while the gateway runs (as an admin command or XEP-0077 would store it).
      const store = new RedisRegistrationStore(redis, cfg.redis.prefix);
      await store.put("mail", { jid: "carol@localhost", address: `carol@${DOMAIN}`, source: "admin" });
      const again = await mail(port, `carol@${DOMAIN}`);
      expect(again.code, again.transcript).toBe(0);
      expect(again.lastReply).toMatch(/^250 /);
    } finally {
      gw.proc.kill("SIGTERM");
    }
    expect(await gw.exited(30_000)).toBe(0);
    await waitForPortClosed(port);
  });

  it("does not listen for mail in a role that takes no inbound traffic", async () => {
    const port = await freePort();
    // The internal listener comes up after every other listener: once it answers, start-up is done.
    const internal = await freePort();
    const cfg = await config(port, internal);
    const gw = spawnCli(["start", "--role", "worker", "--config", writeConfigFile(cfg)]);
    try {
      await waitForPort(internal, 60_000);
      expect(await isPortOpen(port)).toBe(false);
      expect(gw.output()).not.toContain("adapter listener started");
    } finally {
      gw.proc.kill("SIGTERM");
    }
    expect(await gw.exited(30_000)).toBe(0);
  });

  it("a listen address in use: one line naming the address and the option, exit 69", async () => {
    const taken = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => taken.listen(port, "127.0.0.1", () => resolve()));
    try {
      const r = await runCli(["start", "--config", writeConfigFile(await config(port))]);
      const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^xmpp-gateway: cannot listen on 127\\.0\\.0\\.1:${port} \\(gateways\\[0\\]\\.email\\.listen\\): the address is already in use`,
        ),
      );
      expect(r.code).toBe(69);
    } finally {
      taken.close();
    }
  });
});
