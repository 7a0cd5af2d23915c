/**
 * Runs once before the tests: makes sure Prosody, ejabberd, Redis, docker-compose, Postfix and swaks are there,
 * so `npm test` works on a fresh Debian machine (the same helpers as the demo: missing packages are installed
 * with apt-get when running as root, otherwise the run stops with the command to run). Redis is
 * started when 127.0.0.1:6379 does not answer; a REDIS_URL elsewhere must answer by itself.
 */
import { execFileSync } from "node:child_process";
import { ensurePackages, ensureRedis } from "../../src/dev/local-services.js";
import { redisPing } from "./redis.js";

export default async function setup(): Promise<void> {
  preseedPostfix();
  ensurePackages([
    { cmd: "prosody", pkg: "prosody" },
    { cmd: "ejabberdctl", pkg: "ejabberd" },
    { cmd: "redis-server", pkg: "redis-server" },
    // Validates docker-compose.yml (test/integration/deploy-files.test.ts); needs no Docker engine.
    { cmd: "docker-compose", pkg: "docker-compose" },
    // The email adapter's tests: a real MTA (test/harness/postfix.ts) and a real SMTP client.
    { cmd: "postfix", pkg: "postfix" },
    { cmd: "swaks", pkg: "swaks" },
  ]);
  if (process.env.REDIS_URL) {
    const url = new URL(process.env.REDIS_URL);
    if (!(await redisPing(Number(url.port || 6379), url.hostname)))
      throw new Error(`Redis at ${url.host} does not answer`);
    return;
  }
  await ensureRedis(new URL("../../.test-redis", import.meta.url).pathname);
}

/**
 * Postfix asks how to configure the system's mail on install; "No configuration" leaves the
 * machine's own mail alone (no main.cf, nothing started): the tests run private instances.
 */
function preseedPostfix(): void {
  if (process.getuid?.() !== 0) return;
  try {
    execFileSync("debconf-set-selections", {
      input: "postfix postfix/main_mailer_type select No configuration\n",
      stdio: ["pipe", "ignore", "ignore"],
    });
  } catch {
    // not Debian-like: ensurePackages says what is missing
  }
}
