/**
 * Runs the real gateway in-process for a test: the config goes through the same YAML loader and
 * schema as production, log lines are captured (to check that no secret is ever logged).
 *
 * Pacing per sender number is on by default in production (an SMS long code: 1 a second), which
 * would make a test that sends a handful of messages wait seconds: the rig sets `pacing: off` on
 * every gateway whose config does not set a pace of its own, unless `adapterPacing` asks for the
 * adapter's default (the test of that default).
 */
import { stringify } from "yaml";
import { parseConfigText } from "../../src/config/load.js";
import { adapterSchemas, type RunningGateway, type StartOptions, startGateway } from "../../src/main.js";
import { freePort } from "./ports.js";
import { redisUrl, uniquePrefix } from "./redis.js";
import { withTimeout } from "./wait.js";

export interface TestGateway {
  readonly gateway: RunningGateway;
  /** Where webhooks are posted (the local listener). */
  readonly localUrl: string;
  /** The configured public URL, which signatures are checked against. */
  readonly publicUrl: string;
  /** The internal listener (http.internalListen): /metrics, /healthz, /readyz. */
  readonly internalUrl: string;
  readonly prefix: string;
  readonly logLines: string[];
  /** Resolves once every component is online (bounded). */
  online(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  /** The config as a YAML-able object; http.listen, redis and log are filled in unless given. */
  readonly config: Record<string, unknown>;
  readonly env?: Record<string, string>;
  readonly publicUrl?: string;
  readonly roles?: StartOptions["roles"];
  /** Registry entries beside the built-in adapters (see StartOptions.adapters). */
  readonly adapters?: StartOptions["adapters"];
  /** Leave gateways without a `pacing` block at their adapter's default pace (else: `pacing: off`). */
  readonly adapterPacing?: boolean;
}

/** The gateways of a test config, each with `pacing: off` unless it sets its own pace. */
export function unpacedGateways(config: Record<string, unknown>): Record<string, unknown> {
  const gateways = config.gateways;
  if (!Array.isArray(gateways)) return config;
  return {
    ...config,
    gateways: gateways.map((g: unknown) =>
      g !== null && typeof g === "object" && !("pacing" in g) ? { ...g, pacing: "off" } : g,
    ),
  };
}

export async function startTestGateway(o: TestGatewayOptions): Promise<TestGateway> {
  const port = await freePort();
  const internalPort = await freePort();
  const prefix = uniquePrefix("gw");
  const publicUrl = o.publicUrl ?? `http://127.0.0.1:${port}`;
  const base = o.config as { http?: object; redis?: object; log?: object };
  const full = {
    ...(o.adapterPacing ? o.config : unpacedGateways(o.config)),
    http: {
      listen: `127.0.0.1:${port}`,
      internalListen: `127.0.0.1:${internalPort}`,
      publicUrl,
      ...base.http,
    },
    redis: { url: redisUrl(), prefix, ...base.redis },
    log: { level: "debug", ...base.log },
  };
  const extra = Object.fromEntries(Object.entries(o.adapters ?? {}).map(([kind, e]) => [kind, e.schema]));
  const result = parseConfigText(stringify(full), o.env ?? {}, { ...adapterSchemas, ...extra });
  if (!result.ok) throw new Error(`test config invalid: ${JSON.stringify(result.problems)}`);
  const logLines: string[] = [];
  const gateway = await startGateway(result.config, {
    roles: o.roles,
    ...(o.adapters ? { adapters: o.adapters } : {}),
    logDestination: { write: (line: string) => logLines.push(line) },
  });
  return {
    gateway,
    localUrl: `http://127.0.0.1:${port}`,
    publicUrl,
    internalUrl: `http://${gateway.internalAddress ?? `127.0.0.1:${internalPort}`}`,
    prefix: result.config.redis.prefix,
    logLines,
    async online(timeoutMs = 15_000) {
      const waits = [...gateway.transports.values()].map((t) =>
        t.online ? Promise.resolve() : new Promise<void>((resolve) => t.once("online", () => resolve())),
      );
      await withTimeout(Promise.all(waits), timeoutMs, "the gateway's components to come online");
    },
    stop: () => gateway.stop(),
  };
}
