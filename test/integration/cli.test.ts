/**
 * The CLI as an operator runs it: `check-config` names every problem and exits non-zero, `start`
 * fails fast with the same output, and no secret appears in anything printed.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname;
const SECRET = "super-secret-component-pw-5521";
const TOKEN = "twilio-token-never-logged-8812";

function cli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", join(ROOT, "src/cli.ts"), ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "xgw-cli-"));
  const file = join(dir, "gateway.yaml");
  writeFileSync(file, text);
  return file;
}

const BROKEN = `
xmpp: { service: "127.0.0.1:5347" }
http: { publicUrl: "ftp://gw.example.org" }
allowedDomains: [example.org]
gateways:
  - id: sms
    domain: sms.example.org
    secret: \${SMS_COMPONENT_SECRET}
    adapter: twilio
    twilio:
      accountSid: \${TWILIO_ACCOUNT_SID}
      authToken: ${TOKEN}
    users:
      - { jid: alice@example.org, number: "+15550001111" }
      - { jid: bob, number: "+15550001111" }
`;

describe("xmpp-gateway CLI", () => {
  it("check-config prints every problem by path and exits non-zero, without secrets", async () => {
    const file = writeConfig(BROKEN);
    const r = await cli(["check-config", "--config", file], {
      SMS_COMPONENT_SECRET: SECRET,
      TWILIO_ACCOUNT_SID: "nope",
    });
    expect(r.code).toBe(78);
    for (const path of [
      "xmpp.service",
      "http.publicUrl",
      "gateways[0].twilio.accountSid",
      "gateways[0].users[1].jid",
      "gateways[0].users[1].number",
    ]) {
      expect(r.stderr).toContain(`  ${path} (line `);
    }
    expect(r.stderr).toMatch(/5 problems/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it("check-config names unset environment variables", async () => {
    const file = writeConfig(BROKEN.replace("nope", ""));
    const r = await cli(["check-config", "--config", file], {});
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(
      "gateways[0].secret (line 8): environment variable SMS_COMPONENT_SECRET is not set",
    );
  });

  it("start fails fast with the same problems, before connecting anywhere", async () => {
    const file = writeConfig(BROKEN);
    const r = await cli(["start", "--config", file], {
      SMS_COMPONENT_SECRET: SECRET,
      TWILIO_ACCOUNT_SID: "nope",
    });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("gateways[0].twilio.accountSid (line 11): ");
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it("check-config and start refuse a self-service gateway without a credentials key (78)", async () => {
    const file = writeConfig(`
allowedDomains: [example.org]
gateways:
  - { id: sms, domain: sms.example.org, secret: s, adapter: simulator, registration: { mode: self-service } }
`);
    for (const command of ["check-config", "start"]) {
      const r = await cli([command, "--config", file]);
      expect(r.code).toBe(78);
      expect(r.stderr).toContain("credentials.currentKey (line 2): gateways[0] (sms) is self-service");
    }
  });

  it("check-config accepts the example config and a missing file is a clear error", async () => {
    const ok = await cli(["check-config", "--config", join(ROOT, "config/gateway.example.yaml")], {
      SMS_COMPONENT_SECRET: SECRET,
      TWILIO_ACCOUNT_SID: `AC${"f".repeat(32)}`,
      TWILIO_AUTH_TOKEN: TOKEN,
    });
    expect(ok.stdout).toContain("OK: 1 gateway(s): sms (sms.example.org, twilio)");
    // No pacing block: the Twilio adapter's default pace, said as such.
    expect(ok.stdout).toContain("  gateway sms: pacing 1/s, burst 3 per sender number (twilio default)\n");
    expect(ok.code).toBe(0);
    const missing = await cli(["check-config", "--config", "/nonexistent/gateway.yaml"]);
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain("cannot read the file (ENOENT: no such file)");
  }, 120_000);
});
