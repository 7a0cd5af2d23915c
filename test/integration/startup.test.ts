/**
 * Start-up failures as an operator meets them, through the real CLI: one clear line on stderr (no
 * stack trace) and an exit code that says what kind of failure it is (78: the configuration, 69:
 * something not there right now). And the prefix lock: a second gateway on the same Redis prefix
 * and gateway id, for another XMPP service, refuses to start.
 */

import { mkdirSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, spawnCli, writeConfigFile } from "../harness/cli.js";
import { startTestGateway } from "../harness/gateway.js";
import { freePort } from "../harness/ports.js";
import { makeTempDir } from "../harness/process.js";
import { redisUrl, startRedis, type TestRedis, uniquePrefix } from "../harness/redis.js";
import { waitFor } from "../harness/wait.js";

/** A config that would start: its XMPP service is a closed port (start-up does not need it). */
async function config(over: { listen?: string; redis?: Record<string, unknown>; service?: string } = {}) {
  return {
    xmpp: { service: over.service ?? `xmpp://127.0.0.1:${await freePort()}` },
    redis: { url: redisUrl(), prefix: uniquePrefix("startup"), ...over.redis },
    http: { listen: over.listen ?? `127.0.0.1:${await freePort()}` },
    allowedDomains: ["localhost"],
    gateways: [{ id: "sms", domain: "sms.localhost", secret: "startup-secret-77", adapter: "simulator" }],
  };
}

/** Exactly one line on stderr, matching `pattern`. */
function oneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

// Each case runs the CLI once or twice: slow on a loaded 2-core machine.
describe("start-up failures: one clear line and an exit code", { timeout: 120_000 }, () => {
  it("a listen port in use: exit 69", async () => {
    const taken = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => taken.listen(port, "127.0.0.1", () => resolve()));
    try {
      const file = writeConfigFile(await config({ listen: `127.0.0.1:${port}` }));
      const r = await runCli(["start", "--config", file]);
      oneLine(
        r.stderr,
        new RegExp(
          `^xmpp-gateway: cannot listen on 127\\.0\\.0\\.1:${port} \\(http\\.listen\\): the address is already in use`,
        ),
      );
      expect(r.code).toBe(69);
    } finally {
      taken.close();
    }
  });

  it("a port over 65535: check-config and start both exit 78 naming the option and line", async () => {
    const file = writeConfigFile(await config({ listen: "127.0.0.1:80800" }));
    for (const command of ["check-config", "start"]) {
      const r = await runCli([command, "--config", file]);
      expect(r.code).toBe(78);
      expect(r.stderr).toMatch(/^ {2}http\.listen \(line \d+\): the port must be between 1 and 65535$/m);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it("an unreadable config file: exit 78 saying why", async () => {
    const dir = join(makeTempDir("unreadable"), "gateway.yaml");
    mkdirSync(dir);
    const isDir = await runCli(["start", "--config", dir]);
    expect(isDir.code).toBe(78);
    expect(isDir.stderr).toContain("cannot read the file (EISDIR: it is a directory)");
    const missing = await runCli(["check-config", "--config", "/nonexistent/gateway.yaml"]);
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain("cannot read the file (ENOENT: no such file)");
  });

  describe("Redis refusing the password", () => {
    let redis: TestRedis;
    beforeAll(async () => {
      redis = await startRedis({ requirePass: "the-right-password-5150" });
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it("no password, or a wrong one: exit 78, the password never printed", async () => {
      const wrong = `redis://:a-wrong-password-1234@127.0.0.1:${redis.port}`;
      for (const url of [redis.url, wrong]) {
        const file = writeConfigFile(await config({ redis: { url } }));
        const r = await runCli(["start", "--config", file]);
        oneLine(
          r.stderr,
          new RegExp(
            `^xmpp-gateway: Redis at redis://127\\.0\\.0\\.1:${redis.port} refused the credentials \\((NOAUTH|WRONGPASS)\\b.*check the password in redis\\.url$`,
          ),
        );
        expect(r.code).toBe(78);
        expect(r.stdout + r.stderr).not.toContain("a-wrong-password-1234");
      }
    });
  });
});

describe("the prefix lock: one XMPP service per (redis.prefix, gateway id)", { timeout: 180_000 }, () => {
  it("refuses a second gateway for another XMPP service, allows one for the same service", async () => {
    const first = await config();
    const gw = await startTestGateway({ config: first, roles: new Set(["component"]) });
    try {
      const other = await config({ redis: first.redis });
      const refused = await runCli(["start", "--config", writeConfigFile(other)]);
      oneLine(
        refused.stderr,
        new RegExp(
          `redis\\.prefix "${first.redis.prefix}" with gateway id "sms" is in use for ${first.xmpp.service.replace(/[./]/g, "\\$&")} \\(sms\\.localhost\\), held by pid ${process.pid} on .*give this one its own redis\\.prefix`,
        ),
      );
      expect(refused.code).toBe(78);

      // The same service (a Prosody standby, ejabberd active-active) may start.
      const standby = spawnCli(["start", "--config", writeConfigFile({ ...other, xmpp: first.xmpp })]);
      try {
        await waitFor(() => standby.output().includes("webhook server listening"), {
          timeoutMs: 90_000,
          description: "the standby to start",
        });
        expect(standby.proc.exitCode).toBeNull();
      } finally {
        standby.proc.kill("SIGTERM");
        expect(await standby.exited()).toBe(0);
      }
    } finally {
      await gw.stop();
    }
  });
});
