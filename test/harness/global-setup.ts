/**
 * Runs once before the tests: makes sure Prosody, ejabberd and Redis are there, so `npm test`
 * works on a fresh Debian machine. Missing packages are installed with apt-get when running as
 * root; otherwise the run stops with the command to run. Redis is started when 127.0.0.1:6379
 * (or REDIS_URL) does not answer.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redisPing } from "./redis.js";
import { waitFor } from "./wait.js";

const PACKAGES: readonly { cmd: string; pkg: string }[] = [
  { cmd: "prosody", pkg: "prosody" },
  { cmd: "ejabberdctl", pkg: "ejabberd" },
  { cmd: "redis-server", pkg: "redis-server" },
];

const onPath = (cmd: string) =>
  spawnSync("sh", ["-c", `command -v ${cmd} || test -x /usr/sbin/${cmd}`], { stdio: "ignore" }).status === 0;

export default async function setup(): Promise<void> {
  const missing = PACKAGES.filter((p) => !onPath(p.cmd)).map((p) => p.pkg);
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) {
      throw new Error(`the tests need ${missing.join(", ")}: sudo apt-get install -y ${missing.join(" ")}`);
    }
    process.stdout.write(`installing ${missing.join(", ")} with apt-get ...\n`);
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "-qq", ...missing], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  }
  const url = new URL(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const port = Number(url.port || 6379);
  if (!(await redisPing(port, url.hostname))) {
    if (url.hostname !== "127.0.0.1" && url.hostname !== "localhost") {
      throw new Error(`Redis at ${url.host} does not answer`);
    }
    const dir = mkdtempSync(join(tmpdir(), "xgw-test-redis-"));
    process.stdout.write(`starting redis-server on 127.0.0.1:${port}\n`);
    execFileSync("redis-server", [
      "--daemonize",
      "yes",
      "--bind",
      "127.0.0.1",
      "--port",
      String(port),
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--logfile",
      join(dir, "redis.log"),
    ]);
    await waitFor(() => redisPing(port), { timeoutMs: 10_000, description: "redis-server to answer" });
  }
}
