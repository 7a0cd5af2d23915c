/**
 * `check-config --connect`: tries what the file points at, each bounded by --timeout: Redis (and
 * its password), each gateway's XMPP handshake with its secret, and each adapter's provider
 * credentials. One line per check; exit 0 when all passed, 78 when something refused
 * credentials (a configuration mistake), 69 when something could not be reached.
 */
import type { LoadedConfig } from "../config/load.js";
import { Refusal } from "../core/errors.js";
import { EXIT, StartupError } from "../core/startup-error.js";
import { adapters } from "../main.js";
import { createLogger } from "../observability/logger.js";
import { connectRedisBounded, redactedRedisUrl } from "../store/redis-connect.js";
import { tryHandshake } from "../xmpp/handshake-check.js";
import { printable } from "./output.js";

type Verdict = "ok" | "refused" | "unreachable";

function report(what: string, verdict: Verdict, detail: string): Verdict {
  const word = verdict === "ok" ? "OK" : verdict === "refused" ? "REFUSED" : "UNREACHABLE";
  process.stdout.write(`  ${what}: ${word}: ${printable(detail)}\n`);
  return verdict;
}

async function checkRedis(config: LoadedConfig, timeoutMs: number): Promise<Verdict> {
  const where = redactedRedisUrl(config.redis.url);
  try {
    const redis = await connectRedisBounded(config.redis.url, timeoutMs, "xgw-check");
    const info = await redis.info("server").catch(() => "");
    redis.disconnect();
    const version = /redis_version:(\S+)/.exec(info)?.[1];
    return report("redis", "ok", `${where}${version ? ` (Redis ${version})` : ""}`);
  } catch (err) {
    const refused = err instanceof StartupError && err.exitCode === EXIT.config;
    return report("redis", refused ? "refused" : "unreachable", (err as Error).message);
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkProvider(g: LoadedConfig["gateways"][number], timeoutMs: number): Promise<Verdict> {
  const entry = adapters[g.adapter];
  const what = `${g.adapter} ${g.id}`;
  if (!entry) return report(what, "refused", `unknown adapter ${g.adapter}`);
  const logger = createLogger({ level: "silent", secrets: [] });
  const adapter = entry.create(g, g.adapterConfig, { logger, emit: async () => {} });
  try {
    if (!adapter.checkAccount) return report(what, "ok", "no provider credentials to check");
    return report(what, "ok", await withTimeout(adapter.checkAccount(), timeoutMs));
  } catch (err) {
    const refused = err instanceof Refusal && err.condition === "not-authorized";
    return report(what, refused ? "refused" : "unreachable", (err as Error).message);
  } finally {
    await adapter.close?.();
  }
}

export async function checkConnections(config: LoadedConfig, timeoutMs: number): Promise<number> {
  process.stdout.write("connecting:\n");
  const verdicts: Verdict[] = [await checkRedis(config, timeoutMs)];
  for (const g of config.gateways) {
    const hs = await tryHandshake(
      { service: config.xmpp.service, domain: g.domain, secret: g.secret },
      timeoutMs,
    );
    verdicts.push(report(`xmpp ${g.domain}`, hs.outcome === "accepted" ? "ok" : hs.outcome, hs.detail));
    verdicts.push(await checkProvider(g, timeoutMs));
  }
  if (verdicts.includes("refused")) return EXIT.config;
  if (verdicts.includes("unreachable")) return EXIT.unavailable;
  return 0;
}
