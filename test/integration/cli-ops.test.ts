/**
 * The CLI against real servers: commands that talk to Redis give up within --timeout with one
 * line when Redis is not there, `queue ... --json` prints one JSON document, and
 * `check-config --connect` tries Redis, the XEP-0114 handshake on a real Prosody and the Twilio
 * credentials (the stand-in, validated against Twilio's OpenAPI description).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, writeConfigFile } from "../harness/cli.js";
import { freePort } from "../harness/ports.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";
import { startTwilioStandIn, type TwilioStandIn, twilioSpecPath } from "../harness/twilio-standin.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";

const SECRET = "connect-secret-31ab";
const ACCOUNT_SID = `AC${"1234abcd".repeat(4)}`;
const AUTH_TOKEN = "connect-token-never-printed-77";

const simulatorConfig = (redis: string) => ({
  redis: { url: redis, prefix: uniquePrefix("cli-ops") },
  allowedDomains: ["localhost"],
  gateways: [{ id: "sms", domain: "sms.localhost", secret: SECRET, adapter: "simulator" }],
});

describe("CLI commands that talk to Redis", () => {
  it("give up on an unreachable Redis within --timeout, with one line and exit 69", async () => {
    const port = await freePort(); // nothing listens there
    const file = writeConfigFile(simulatorConfig(`redis://127.0.0.1:${port}`));
    for (const args of [
      ["queue", "failed"],
      ["queue", "retry", "--all"],
      ["queue", "purge", "--older-than", "7d"],
    ]) {
      const started = Date.now();
      // Bounded: 3 s to connect plus start-up (slow on a loaded 2-core machine), never "forever".
      const r = await runCli([...args, "--config", file, "--timeout", "3"], {}, 60_000);
      expect(Date.now() - started).toBeLessThan(50_000);
      expect(r.code).toBe(69);
      const lines = r.stderr.split("\n").filter((l) => l !== "");
      expect(lines).toEqual([
        expect.stringMatching(
          new RegExp(
            `^xmpp-gateway: cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED.*\\): is it running\\? \\(redis\\.url\\)$`,
          ),
        ),
      ]);
    }
  }, 180_000);

  it("print one JSON document with --json", async () => {
    const file = writeConfigFile(simulatorConfig(redisUrl()));
    const failed = await runCli(["queue", "failed", "--json", "--config", file]);
    expect(failed.code).toBe(0);
    expect(JSON.parse(failed.stdout)).toEqual({ failed: [] });
    const purged = await runCli(["queue", "purge", "--older-than", "1d", "--json", "--config", file]);
    expect(JSON.parse(purged.stdout)).toEqual({ removed: 0, olderThan: "1d" });
    const retried = await runCli(["queue", "retry", "--all", "--json", "--config", file]);
    expect(JSON.parse(retried.stdout)).toEqual({ retried: [], skipped: [] });
  }, 120_000);
});

describe.skipIf(!twilioSpecPath())("check-config --connect", () => {
  let server: XmppServer;
  let standIn: TwilioStandIn;
  beforeAll(async () => {
    [server, standIn] = await Promise.all([
      startXmppServer("prosody", { components: [{ domain: "sms.localhost", secret: SECRET }] }),
      startTwilioStandIn({ accounts: { [ACCOUNT_SID]: AUTH_TOKEN } }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([server?.stop(), standIn?.stop()]);
  });

  const twilioConfig = (o: { redis?: string; secret?: string; token?: string }) =>
    writeConfigFile({
      xmpp: { service: server.componentService },
      redis: { url: o.redis ?? redisUrl(), prefix: uniquePrefix("connect") },
      allowedDomains: ["localhost"],
      gateways: [
        {
          id: "sms",
          domain: "sms.localhost",
          secret: o.secret ?? SECRET,
          adapter: "twilio",
          twilio: { accountSid: ACCOUNT_SID, authToken: o.token ?? AUTH_TOKEN, apiBaseUrl: standIn.baseUrl },
        },
      ],
    });

  it("passes when Redis, the handshake and the Twilio account all answer", async () => {
    const r = await runCli(["check-config", "--connect", "--config", twilioConfig({})]);
    expect(r.stdout).toMatch(/^ {2}redis: OK: redis:\/\/.*\(Redis \d/m);
    expect(r.stdout).toMatch(
      /^ {2}xmpp sms\.localhost: OK: handshake accepted by xmpp:\/\/127\.0\.0\.1:\d+$/m,
    );
    expect(r.stdout).toMatch(
      new RegExp(`^ {2}twilio sms: OK: account ${ACCOUNT_SID} \\("Stand-in account", active\\)$`, "m"),
    );
    expect(r.code).toBe(0);
    const fetched = await standIn.waitForRequest(
      (q) => q.method === "GET" && q.path === `/2010-04-01/Accounts/${ACCOUNT_SID}.json`,
    );
    expect(fetched.auth?.username).toBe(ACCOUNT_SID);
    expect(standIn.validationFailures()).toEqual([]);
  }, 60_000);

  it("says which check refused: a wrong component secret and a wrong token exit 78", async () => {
    const r = await runCli([
      "check-config",
      "--connect",
      "--config",
      twilioConfig({ secret: "a-wrong-component-secret", token: "a-wrong-token-123" }),
    ]);
    expect(r.stdout).toMatch(/^ {2}redis: OK: /m);
    expect(r.stdout).toMatch(/^ {2}xmpp sms\.localhost: REFUSED: .*refused the secret \(not-authorized\)$/m);
    expect(r.stdout).toMatch(
      /^ {2}twilio sms: REFUSED: Twilio refused the Account SID and Auth Token \(20003/m,
    );
    expect(r.code).toBe(78);
    expect(r.stdout + r.stderr).not.toContain("a-wrong");
  }, 60_000);

  it("an unreachable Redis exits 69", async () => {
    const r = await runCli([
      "check-config",
      "--connect",
      "--timeout",
      "3",
      "--config",
      twilioConfig({ redis: `redis://127.0.0.1:${await freePort()}` }),
    ]);
    expect(r.stdout).toMatch(/^ {2}redis: UNREACHABLE: cannot reach Redis at .*ECONNREFUSED/m);
    expect(r.code).toBe(69);
  }, 60_000);
});
