import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config/load.js";
import { adapterSchemas } from "../../src/main.js";

const env = {
  SMS_COMPONENT_SECRET: "component-secret-123",
  TWILIO_ACCOUNT_SID: `AC${"a".repeat(32)}`,
  TWILIO_AUTH_TOKEN: "token-abc-123",
};

describe("config", () => {
  it("loads the example file with every default filled in", async () => {
    const text = await readFile(new URL("../../config/gateway.example.yaml", import.meta.url), "utf8");
    const result = parseConfigText(text, env, adapterSchemas);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const c = result.config;
    expect(c.redis.prefix).toBe("xgw");
    expect(c.xmpp.pingIntervalMs).toBe(30_000);
    expect(c.queue.outboundAttempts).toBe(8);
    expect(c.gateways[0]?.secret).toBe("component-secret-123");
    expect(c.gateways[0]?.numberCheck).toBe("possible");
    expect(c.gateways[0]?.adapterConfig).toMatchObject({
      accountSid: env.TWILIO_ACCOUNT_SID,
      authToken: "token-abc-123",
      apiBaseUrl: "https://api.twilio.com",
    });
    expect(c.http.publicUrl).toBe("https://gw.example.org");
  });

  it("names every problem of a broken file by path, at once", () => {
    const text = `
xmpp:
  service: http://nope
redis: { url: "localhost:6379" }
http:
  publicUrl: not a url
  listn: 1
allowedDomains: []
gateways:
  - id: SMS!
    domain: sms.example.org
    secret: \${MISSING_SECRET}
    adapter: twilio
    defaultRegion: usa
    twilio:
      accountSid: XX123
    users:
      - { jid: alice@example.org, number: "5550001111" }
      - { jid: alice@example.org, number: "+15550002222" }
  - id: other
    domain: sms.example.org
    secret: x
    adapter: carrier-pigeon
    twillio: {}
`;
    const result = parseConfigText(text, {}, adapterSchemas);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.problems.map((p) => p.path);
    for (const expected of [
      "xmpp.service",
      "redis.url",
      "http.publicUrl",
      "http",
      "allowedDomains",
      "gateways[0].id",
      "gateways[0].secret",
      "gateways[0].defaultRegion",
      "gateways[0].twilio.accountSid",
      "gateways[0].twilio.authToken",
      "gateways[0].users[0].number",
      "gateways[0].users[1].jid",
      "gateways[1].domain",
      "gateways[1].adapter",
      "gateways[1].twillio",
    ]) {
      expect(paths, `expected a problem at ${expected}`).toContain(expected);
    }
    const secretProblem = result.problems.find(
      (p) => p.path === "gateways[0].secret" && /MISSING_SECRET/.test(p.message),
    );
    expect(secretProblem?.message).toMatch(/environment variable MISSING_SECRET is not set/);
    expect(result.problems.find((p) => p.path === "gateways[1].adapter")?.message).toMatch(
      /known: twilio, simulator/,
    );
  });

  it("reports YAML syntax errors with a position and without the offending text", () => {
    const result = parseConfigText(
      "gateways:\n  - id: a\n   secret: hunter2-very-secret: x\n",
      {},
      adapterSchemas,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]?.path).toMatch(/^line \d+, column \d+$/);
    expect(JSON.stringify(result.problems)).not.toContain("hunter2");
  });

  it("substitutes ${VAR:-default} and $${ literals", () => {
    const text = `
allowedDomains: [example.org]
log: { level: "\${LEVEL:-warn}" }
gateways:
  - { id: sms, domain: sms.example.org, secret: "a$\${b}", adapter: simulator }
`;
    const result = parseConfigText(text, {}, adapterSchemas);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.log.level).toBe("warn");
    expect(result.config.gateways[0]?.secret).toBe("a${b}");
  });

  describe("credentials keys", () => {
    const KEY = Buffer.alloc(32, 3).toString("base64");
    const selfService = (credentials: string) => `
allowedDomains: [example.org]
${credentials}
gateways:
  - { id: sms, domain: sms.example.org, secret: s, adapter: simulator, registration: { mode: self-service } }
`;
    const problems = (text: string, e: Record<string, string> = {}) => {
      const result = parseConfigText(text, e, adapterSchemas);
      return result.ok ? [] : result.problems;
    };

    it("requires a key for a self-service gateway, naming the gateway and what to set", () => {
      const found = problems(selfService(""));
      expect(found.map((p) => p.path)).toEqual(["credentials.currentKey"]);
      expect(found[0]?.message).toMatch(/gateways\[0\] \(sms\) is self-service/);
      expect(found[0]?.message).toMatch(/credentials\.keys/);
    });

    it("accepts a base64 32-byte key from the environment and the current key among them", () => {
      const text = selfService('credentials: { keys: { "2026-12": "${K}" }, currentKey: "2026-12" }');
      const result = parseConfigText(text, { K: KEY }, adapterSchemas);
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      expect(result.config.credentials).toEqual({ keys: { "2026-12": KEY }, currentKey: "2026-12" });
    });

    it("refuses a key of the wrong size and a current key that is not configured, without printing keys", () => {
      const short = Buffer.alloc(16, 9).toString("base64");
      const found = problems(
        selfService(`credentials: { keys: { a: "${short}", b: "not base64!" }, currentKey: "c" }`),
      );
      expect(found.map((p) => p.path).sort()).toEqual([
        "credentials.currentKey",
        "credentials.keys.a",
        "credentials.keys.b",
      ]);
      expect(JSON.stringify(found)).not.toContain(short);
      expect(found.find((p) => p.path === "credentials.currentKey")?.message).toMatch(/"c" is not one of/);
    });

    it("needs no key for provisioned gateways", () => {
      expect(
        problems(
          "allowedDomains: [example.org]\ngateways:\n  - { id: sms, domain: sms.example.org, secret: s, adapter: simulator }\n",
        ),
      ).toEqual([]);
    });
  });
});
