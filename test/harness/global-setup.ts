/**
 * Runs once before the tests: makes sure Prosody, ejabberd, Redis and docker-compose are there,
 * so `npm test` works on a fresh Debian machine (the same helpers as the demo: missing packages are installed
 * with apt-get when running as root, otherwise the run stops with the command to run). Redis is
 * started when 127.0.0.1:6379 does not answer; a REDIS_URL elsewhere must answer by itself.
 */
import { ensurePackages, ensureRedis } from "../../src/dev/local-services.js";
import { redisPing } from "./redis.js";

export default async function setup(): Promise<void> {
  ensurePackages([
    { cmd: "prosody", pkg: "prosody" },
    { cmd: "ejabberdctl", pkg: "ejabberd" },
    { cmd: "redis-server", pkg: "redis-server" },
    // Validates docker-compose.yml (test/integration/deploy-files.test.ts); needs no Docker engine.
    { cmd: "docker-compose", pkg: "docker-compose" },
  ]);
  if (process.env.REDIS_URL) {
    const url = new URL(process.env.REDIS_URL);
    if (!(await redisPing(Number(url.port || 6379), url.hostname)))
      throw new Error(`Redis at ${url.host} does not answer`);
    return;
  }
  await ensureRedis(new URL("../../.test-redis", import.meta.url).pathname);
}
