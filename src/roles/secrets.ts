/** The strings of a config that must never be logged (the logger redacts them). */
import type { LoadedConfig } from "../config/load.js";

/** Every string in the config that must never be logged. */
export function secretValues(config: LoadedConfig): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key: string) => {
    if (typeof v === "string" && /secret|token|password|key/i.test(key)) out.push(v);
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  for (const g of config.gateways) {
    out.push(g.secret);
    walk(g.adapterConfig, "");
  }
  out.push(...Object.values(config.credentials.keys));
  const redisPassword = safeUrlPassword(config.redis.url);
  if (redisPassword) out.push(redisPassword);
  return out;
}

function safeUrlPassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
