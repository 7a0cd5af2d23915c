/**
 * The install path of the README, as CI runs it from a clean clone: `npm pack` (which builds) and
 * `npm install -g` of the tarball into a prefix, here a temporary one (never the system's). After
 * it, `xmpp-gateway` is a command on PATH that prints its version and checks the example config,
 * and it sits at <prefix>/bin/xmpp-gateway, the path the systemd unit runs (prefix /usr/local).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../harness/cli.js";
import { makeTempDir, runOk } from "../harness/process.js";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string };

describe("installing with npm pack + npm install -g", () => {
  it("puts a working xmpp-gateway on PATH, where the systemd unit expects it", async () => {
    const dir = makeTempDir("install");
    const prefix = join(dir, "prefix");
    const npm = {
      cwd: ROOT,
      timeoutMs: 240_000,
      env: { ...process.env, npm_config_update_notifier: "false" },
    };
    const packed = await runOk("npm", ["pack", "--pack-destination", dir, "--silent"], npm);
    const tarball = join(dir, packed.stdout.trim().split("\n").at(-1) ?? "");
    expect(tarball).toMatch(new RegExp(`${pkg.name}-${pkg.version}\\.tgz$`));
    await runOk(
      "npm",
      ["install", "--global", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", tarball],
      npm,
    );

    const bin = join(prefix, "bin", "xmpp-gateway");
    expect(existsSync(bin)).toBe(true);
    const unit = readFileSync(join(ROOT, "config/systemd/xmpp-gateway.service"), "utf8");
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/xmpp-gateway start --config /m);

    // As an operator runs it: by name, from PATH, outside the clone.
    const env = {
      ...process.env,
      PATH: `${join(prefix, "bin")}:${process.env.PATH ?? ""}`,
      SMS_COMPONENT_SECRET: "installed-secret-1234",
      TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`,
      TWILIO_AUTH_TOKEN: "installed-token-5678",
    };
    const version = await runOk("xmpp-gateway", ["--version"], { cwd: dir, env });
    expect(version.stdout.trim()).toBe(pkg.version);
    const example = join(prefix, "lib", "node_modules", pkg.name, "config", "gateway.example.yaml");
    const checked = await runOk("xmpp-gateway", ["check-config", "--config", example], { cwd: dir, env });
    expect(checked.stdout).toContain("OK: 1 gateway(s): sms (sms.example.org, twilio)");
  }, 300_000);
});
