import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { formatProblems, parseConfigText } from "../../src/config/load.js";
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
      "http.listn",
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

describe("check-config catches what start or the first message would reject", () => {
  const base = (extra: { top?: string; gateway?: string; users?: string } = {}) => `
allowedDomains: [example.org]
${extra.top ?? ""}
gateways:
  - id: sms
    domain: sms.example.org
    secret: s3cret-for-tests
    adapter: simulator
${extra.gateway ?? ""}
    users:
${extra.users ?? '      - { jid: alice@example.org, number: "+15550001111" }'}
`;
  const problems = (text: string, e: Record<string, string> = {}) => {
    const result = parseConfigText(text, e, adapterSchemas);
    if (result.ok) throw new Error("expected problems");
    return result.problems;
  };
  const lineOfText = (text: string, needle: string) =>
    text.split("\n").findIndex((l) => l.includes(needle)) + 1;

  it("accepts the base config of these cases", () => {
    expect(parseConfigText(base(), {}, adapterSchemas).ok).toBe(true);
  });

  it("a region libphonenumber does not know", () => {
    const text = base({ gateway: "    defaultRegion: XX" });
    const p = problems(text);
    expect(p).toEqual([
      {
        path: "gateways[0].defaultRegion",
        message: expect.stringMatching(/not a region libphonenumber knows/),
        line: lineOfText(text, "defaultRegion"),
      },
    ]);
  });

  it("a user number that is not a possible number", () => {
    const text = base({ users: '      - { jid: alice@example.org, number: "+1555" }' });
    const p = problems(text);
    expect(p.map((x) => x.path)).toEqual(["gateways[0].users[0].number"]);
    expect(p[0]?.message).toMatch(/"\+1555" is not a .*phone number/);
    expect(p[0]?.line).toBe(lineOfText(text, "+1555"));
  });

  it("a provisioned user of a domain not in allowedDomains", () => {
    const p = problems(base({ users: '      - { jid: mallory@evil.example, number: "+15550001111" }' }));
    expect(p.map((x) => x.path)).toEqual(["gateways[0].users[0].jid"]);
    expect(p[0]?.message).toMatch(/evil\.example is not in allowedDomains \(example\.org\)/);
  });

  it("ports over 65535", () => {
    const text = base({
      top: 'http: { listen: "127.0.0.1:80800" }\nxmpp: { service: "xmpp://127.0.0.1:99999" }',
    });
    const p = problems(text);
    expect(p.map((x) => [x.path, x.message])).toEqual([
      ["xmpp.service", "the port must be between 1 and 65535"],
      ["http.listen", "the port must be between 1 and 65535"],
    ]);
    expect(p[1]?.line).toBe(lineOfText(text, "80800"));
  });

  it("three unset variables are three problems, not six", () => {
    const text = `
allowedDomains: [example.org]
gateways:
  - id: sms
    domain: sms.example.org
    secret: \${SMS_COMPONENT_SECRET}
    adapter: twilio
    twilio: { accountSid: "\${TWILIO_ACCOUNT_SID}", authToken: "\${TWILIO_AUTH_TOKEN}" }
`;
    const p = problems(text);
    expect(p.map((x) => x.path)).toEqual([
      "gateways[0].secret",
      "gateways[0].twilio.accountSid",
      "gateways[0].twilio.authToken",
    ]);
    for (const x of p) expect(x.message).toMatch(/^environment variable \w+ is not set/);
  });

  it("human texts instead of zod's, naming no value", () => {
    const p = problems(
      base({ top: 'queue: { outboundAttempts: "many", keepCompleted: -1 }\nlog: { level: loud }' }),
    );
    const byPath = Object.fromEntries(p.map((x) => [x.path, x.message]));
    expect(byPath).toEqual({
      "queue.outboundAttempts": "must be a number, not text",
      "queue.keepCompleted": "must be at least 0",
      "log.level": "must be one of: fatal, error, warn, info, debug, trace, silent",
    });
  });

  it('unknown options get a "did you mean", on their line', () => {
    const text = base({
      top: "http:\n  listn: 127.0.0.1:8080",
      gateway: "    simulater: {}\n    numbercheck: valid",
    });
    const p = problems(text);
    expect(p).toEqual([
      {
        path: "http.listn",
        message: 'unknown option; did you mean "listen"?',
        line: lineOfText(text, "listn"),
      },
      {
        path: "gateways[0].simulater",
        message: 'unknown option; did you mean "simulator"?',
        line: lineOfText(text, "simulater"),
      },
      {
        path: "gateways[0].numbercheck",
        message: 'unknown option; did you mean "numberCheck"?',
        line: lineOfText(text, "numbercheck"),
      },
    ]);
  });

  it("a single stray [ gives one problem", () => {
    const text = base({ top: "admins: [admin@example.org" });
    const result = parseConfigText(text, {}, adapterSchemas);
    if (result.ok) throw new Error("expected a problem");
    const printed = formatProblems("gateway.yaml", result.problems).split("\n");
    expect(printed.length).toBeLessThanOrEqual(2);
    expect(printed[1]).toMatch(/^ {2}line \d+, column \d+ \(line \d+\): YAML syntax: /);
  });
});
