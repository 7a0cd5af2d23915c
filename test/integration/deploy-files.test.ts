/**
 * The container files as Debian 12's docker-compose (1.29) reads them: `config -q` validates
 * docker-compose.yml against the Compose specification's schema without a Docker engine. And
 * what the operator relies on: Redis with a memory limit and noeviction, a readiness
 * healthcheck, and a build context without secrets or node_modules.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../harness/cli.js";
import { makeTempDir, run } from "../harness/process.js";

const composeFile = join(ROOT, "docker-compose.yml");

describe("docker-compose.yml and the image build", () => {
  it("passes `docker-compose config -q` (Debian 12's 1.29), with and without the Prosody profile", async () => {
    // The file names an env_file (.env) that the operator creates: an empty one stands in for it.
    const dir = makeTempDir("compose");
    copyFileSync(composeFile, join(dir, "docker-compose.yml"));
    writeFileSync(join(dir, ".env"), "");
    for (const extra of [[], ["--profile", "with-prosody"]]) {
      const r = await run("docker-compose", [
        "-f",
        join(dir, "docker-compose.yml"),
        ...extra,
        "config",
        "-q",
      ]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
  });

  it("gives Redis maxmemory with noeviction and the gateway a readiness healthcheck", () => {
    const compose = parse(readFileSync(composeFile, "utf8")) as {
      name?: unknown;
      services: Record<string, { command?: string[]; healthcheck?: { test?: string[] } }>;
    };
    expect(compose.name).toBeUndefined();
    const redis = compose.services.redis?.command ?? [];
    expect(redis[redis.indexOf("--maxmemory") + 1]).toMatch(/^\d+(mb|gb)$/);
    expect(redis[redis.indexOf("--maxmemory-policy") + 1]).toBe("noeviction");
    expect(compose.services.gateway?.healthcheck?.test?.join(" ")).toContain("http://127.0.0.1:9090/readyz");
  });

  it("keeps node_modules, .env, .git, .demo and dist out of the build context", () => {
    const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n");
    for (const entry of ["node_modules", ".env", ".git", ".demo", "dist"]) expect(ignored).toContain(entry);
  });
});
