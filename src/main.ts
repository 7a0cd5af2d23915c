/**
 * The composition root: config -> Redis -> adapters -> roles. The only file that names adapters
 * (a new network is a folder under adapters/ plus one line in `adapters` below).
 */
import { Redis } from "ioredis";
import type { z } from "zod";
import { simulatorConfigSchema } from "../adapters/simulator/config.js";
import { createSimulatorAdapter } from "../adapters/simulator/index.js";
import { twilioConfigSchema } from "../adapters/twilio/config.js";
import { createTwilioAdapter } from "../adapters/twilio/index.js";
import type { AdapterSchemas, LoadedConfig, LoadedGateway } from "./config/load.js";
import { referenceMarkdown } from "./config/reference.js";
import { configSchema } from "./config/schema.js";
import type { AdapterDeps, NetworkAdapter } from "./core/adapter.js";
import { destinationPolicy } from "./core/destination-policy.js";
import type { Logger } from "./core/logger.js";
import { withOwnAccounts } from "./core/own-accounts.js";
import { buildHttpServer, listen } from "./http/server.js";
import { createLogger } from "./observability/logger.js";
import { createMetrics } from "./observability/metrics.js";
import { inboundIngester } from "./queue/ingest.js";
import { startOutboundWorker } from "./queue/outbound-worker.js";
import { Producer } from "./queue/producer.js";
import { MessageMap } from "./store/message-map.js";
import { OptOutStore } from "./store/optouts.js";
import { RedisRateLimiter } from "./store/rate-limiter.js";
import { CachedRegistrationStore } from "./store/registration-cache.js";
import { RedisRegistrationStore } from "./store/registrations.js";
import { startComponentRole } from "./xmpp/component-role.js";
import { XmppTransport } from "./xmpp/transport.js";

interface AdapterEntry<C> {
  readonly schema: z.ZodType<C>;
  readonly create: (gateway: LoadedGateway, config: C, deps: AdapterDeps) => NetworkAdapter;
}
const entry = <C>(e: AdapterEntry<C>): AdapterEntry<unknown> => e as AdapterEntry<unknown>;

const common = (g: LoadedGateway) => ({
  gatewayId: g.id,
  defaultRegion: g.defaultRegion,
  numberCheck: g.numberCheck,
});

export const adapters: Readonly<Record<string, AdapterEntry<unknown>>> = {
  twilio: entry({
    schema: twilioConfigSchema,
    create: (g, c, d) => createTwilioAdapter({ ...common(g), twilio: c }, d),
  }),
  simulator: entry({
    schema: simulatorConfigSchema,
    create: (g, c, d) => createSimulatorAdapter({ ...common(g), simulator: c }, d),
  }),
};

export const adapterSchemas: AdapterSchemas = Object.fromEntries(
  Object.entries(adapters).map(([kind, e]) => [kind, e.schema]),
);

export type Role = "component" | "worker" | "webhooks";
export const ALL_ROLES: readonly Role[] = ["component", "worker", "webhooks"];

export interface StartOptions {
  readonly roles?: ReadonlySet<Role>;
  /** Log lines go here instead of stdout (tests capture them). */
  readonly logDestination?: { write(line: string): unknown };
}

export interface RunningGateway {
  readonly logger: Logger;
  /** host:port the webhook server listens on, when the webhooks role runs. */
  readonly httpAddress?: string;
  readonly transports: ReadonlyMap<string, XmppTransport>;
  /** Settles when a component hits an unrecoverable error (e.g. a wrong secret). */
  readonly fatal: Promise<Error>;
  stop(): Promise<void>;
}

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

export async function startGateway(
  config: LoadedConfig,
  options: StartOptions = {},
): Promise<RunningGateway> {
  const roles = options.roles ?? new Set(ALL_ROLES);
  const logger = createLogger({
    level: config.log.level,
    secrets: secretValues(config),
    destination: options.logDestination,
  });
  const metrics = createMetrics();
  // Stopped in this order: webhooks (providers retry), components, workers, then adapters.
  const stopHttp: (() => Promise<void>)[] = [];
  const stopComponents: (() => Promise<void>)[] = [];
  const stopWorkers: (() => Promise<void>)[] = [];
  const stopAdapters: (() => Promise<void>)[] = [];

  const redisErrors = rateLimitedLogger(logger, `Redis connection error (${redactedUrl(config.redis.url)})`);
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 3, connectionName: "xgw" });
  redis.on("error", redisErrors);
  const workerRedis = new Redis(config.redis.url, {
    maxRetriesPerRequest: null,
    connectionName: "xgw-worker",
  });
  workerRedis.on("error", redisErrors);
  // The stores' own commands and pipelines. Not shared with BullMQ: ioredis copies every script
  // defined on a connection (BullMQ defines dozens) into each pipeline made from it.
  const storeRedis = new Redis(config.redis.url, { maxRetriesPerRequest: 3, connectionName: "xgw-store" });
  storeRedis.on("error", redisErrors);

  // Nothing works without Redis, and it may come up after the gateway (a reboot, a container
  // order): wait for it, saying clearly what is missing, instead of starting half-seeded.
  await waitForRedis(redis, config.redis.url, logger);

  // Changes made by this process apply at once; those of another role process within 5 s.
  const registrations = new CachedRegistrationStore(
    new RedisRegistrationStore(storeRedis, config.redis.prefix),
    5_000,
  );
  for (const g of config.gateways) {
    for (const u of g.users) {
      await registrations
        .put(g.id, { jid: u.jid, number: u.number, source: "config" })
        .catch((err: Error) => {
          logger.error({ gateway: g.id, jid: u.jid, reason: err.message }, "config user not seeded");
        });
    }
  }

  const producer = new Producer(redis, {
    store: storeRedis,
    prefix: config.redis.prefix,
    outboundAttempts: config.queue.outboundAttempts,
    deliveryAttempts: config.queue.deliveryAttempts,
    keepCompleted: config.queue.keepCompleted,
    dedupTtlSeconds: config.queue.dedupTtlSeconds,
    onSeenMarkerFailed: (err) =>
      logger.warn(
        { err: { message: err.message } },
        "a job was enqueued but its duplicate marker was not written; a resend of it may be sent twice",
      ),
  });
  const messageMap = new MessageMap(storeRedis, config.redis.prefix, config.queue.messageMapTtlSeconds);
  const optOuts = new OptOutStore(storeRedis, config.redis.prefix);
  // Per-user limits, counted in Redis so every process shares them (README: Cost limits).
  const limiter = new RedisRateLimiter(storeRedis, config.redis.prefix);
  const allowedDomains = new Set(config.allowedDomains);
  const transports = new Map<string, XmppTransport>();
  let rejectFatal: (err: Error) => void = () => {};
  const fatal = new Promise<Error>((resolve) => {
    rejectFatal = resolve;
  });

  const webhookGateways = [];
  for (const g of config.gateways) {
    const adapterEntry = adapters[g.adapter];
    if (!adapterEntry) throw new Error(`unknown adapter ${g.adapter}`);
    const ingest = inboundIngester({
      gatewayId: g.id,
      producer,
      logger,
      messageMap,
      optOuts,
      onOutcome: (outcome) => metrics.inbound.inc({ gateway: g.id, outcome }),
      onStatus: (outcome) => metrics.deliveryReports.inc({ gateway: g.id, outcome }),
    });
    const adapter = adapterEntry.create(g, g.adapterConfig, {
      logger: logger.child({ adapter: g.adapter }),
      emit: ingest,
      ownCredentials: async (number) => (await registrations.byNumber(g.id, number))?.credentials,
    });
    stopAdapters.push(async () => adapter.close?.());

    const rules = { caps: g.limits, longMessages: g.longMessages, corrections: g.corrections };
    if (roles.has("component")) {
      const transport = new XmppTransport({ ...config.xmpp, domain: g.domain, secret: g.secret }, logger);
      transports.set(g.id, transport);
      transport.on("online", () => metrics.xmppOnline.set({ gateway: g.id }, 1));
      transport.on("offline", () => metrics.xmppOnline.set({ gateway: g.id }, 0));
      transport.on("fatal", (err) => rejectFatal(err));
      const role = startComponentRole({
        gatewayId: g.id,
        transport,
        adapter,
        producer,
        registrations,
        allowedDomains,
        admins: new Set(config.admins),
        registrationMode: g.registration.mode,
        ...(g.name ? { name: g.name } : {}),
        redis,
        workerRedis,
        prefix: config.redis.prefix,
        logger,
        onOutbound: (outcome) => metrics.outbound.inc({ gateway: g.id, outcome }),
        onInbound: (outcome) => metrics.inbound.inc({ gateway: g.id, outcome }),
        rules,
        sendLimits: {
          limiter,
          defaults: g.limits.perUser,
          overrides: new Map(g.limits.users.map(({ jid, ...own }) => [jid, own])),
        },
        checkDestination: destinationPolicy(g.destinations),
        registrationChecks: {
          limiter,
          attempts: g.registration.checksPerWindow,
          windowMs: g.registration.checkWindowSeconds * 1000,
          onRefused: (jid) => {
            metrics.registrationChecksLimited.inc({ gateway: g.id });
            logger.warn({ gateway: g.id, jid }, "registration refused: too many attempts");
          },
        },
        onLimited: (limit) => metrics.outboundLimited.inc({ gateway: g.id, limit }),
        lockDurationMs: config.queue.lockDurationMs,
        stalledIntervalMs: config.queue.stalledIntervalMs,
      });
      transport.start();
      stopComponents.push(async () => {
        await role.stop();
        await transport.stop();
      });
    }
    if (roles.has("worker")) {
      const hasStatusRoute = adapter.webhooks?.some((r) => r.path === "status") ?? false;
      const worker = startOutboundWorker({
        gatewayId: g.id,
        // Only self-service users carry their own accounts: no lookup per send otherwise.
        adapter:
          g.registration.mode === "self-service" ? withOwnAccounts(adapter, registrations, g.id) : adapter,
        redis: workerRedis,
        store: storeRedis,
        producer,
        logger,
        prefix: config.redis.prefix,
        concurrency: config.queue.outboundConcurrency,
        backoffMs: config.queue.outboundBackoffMs,
        maxBackoffMs: config.queue.maxBackoffMs,
        dedupTtlSeconds: config.queue.dedupTtlSeconds,
        messageMap,
        optOuts,
        longMessages: g.longMessages,
        corrections: g.corrections,
        caps: g.limits,
        lockDurationMs: config.queue.lockDurationMs,
        stalledIntervalMs: config.queue.stalledIntervalMs,
        statusCallbackUrl: hasStatusRoute ? `${config.http.publicUrl}/webhooks/${g.id}/status` : undefined,
        onOutcome: (outcome) => metrics.outbound.inc({ gateway: g.id, outcome }),
      });
      stopWorkers.push(() => worker.close());
    }
    if (adapter.webhooks) webhookGateways.push({ id: g.id, routes: adapter.webhooks, ingest });
  }

  let httpAddress: string | undefined;
  if (roles.has("webhooks")) {
    const app = buildHttpServer({
      publicUrl: config.http.publicUrl,
      bodyLimitBytes: config.http.bodyLimitBytes,
      gateways: webhookGateways,
      logger,
      metrics: metrics.registry,
      onRequest: (gateway, route, status) => metrics.webhooks.inc({ gateway, route, status: String(status) }),
      ready: async () => {
        const redisOk = await redis.ping().then(
          () => true,
          () => false,
        );
        const xmpp = Object.fromEntries([...transports].map(([id, t]) => [id, t.online]));
        return { ok: redisOk && Object.values(xmpp).every(Boolean), detail: { redis: redisOk, xmpp } };
      },
    });
    const url = await listen(app, config.http.listen);
    httpAddress = new URL(url).host;
    logger.info({ listen: httpAddress, publicUrl: config.http.publicUrl }, "webhook server listening");
    stopHttp.push(() => app.close());
  }

  let stopped: Promise<void> | undefined;
  return {
    logger,
    httpAddress,
    transports,
    fatal,
    stop() {
      stopped ??= (async () => {
        for (const stop of [...stopHttp, ...stopComponents, ...stopWorkers, ...stopAdapters]) {
          await stop().catch((err: Error) => logger.warn({ reason: err.message }, "error while stopping"));
        }
        await producer.close();
        redis.disconnect();
        workerRedis.disconnect();
        storeRedis.disconnect();
        logger.info("stopped");
      })();
      return stopped;
    },
  };
}

/** The Redis URL without its password, for log lines. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  } catch {
    return "(unparsable Redis URL)";
  }
}

/**
 * Resolves once Redis answers PING. Until then it logs, at once and then every 10 s, which Redis
 * it waits for (URL without password) and why it cannot reach it; it never gives up (an operator
 * or supervisor stops it).
 */
async function waitForRedis(redis: Redis, url: string, logger: Logger): Promise<void> {
  const where = redactedUrl(url);
  let lastConnectionError: string | undefined;
  const onError = (err: Error) => {
    lastConnectionError = err.message;
  };
  redis.on("error", onError);
  try {
    let attempt = 0;
    let loggedAt = 0;
    for (;;) {
      try {
        await redis.ping();
        if (attempt > 0) logger.info({ redis: where }, `Redis at ${where} is reachable; starting`);
        return;
      } catch (err) {
        const reason = lastConnectionError ?? (err as Error).message;
        if (attempt === 0 || Date.now() - loggedAt >= 10_000) {
          loggedAt = Date.now();
          logger.error(
            { redis: where, reason },
            `Redis at ${where} is unreachable (${reason}); waiting for it before starting`,
          );
        }
        attempt++;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * 2 ** Math.min(attempt, 5))));
      }
    }
  } finally {
    redis.off("error", onError);
  }
}

function rateLimitedLogger(logger: Logger, msg: string) {
  let last = 0;
  return (err: Error) => {
    const now = Date.now();
    if (now - last < 5000) return;
    last = now;
    logger.error({ reason: err.message }, msg);
  };
}

/** The configuration reference (README section), generated from every schema. */
export function configReference(): string {
  return referenceMarkdown([
    { title: "Core options", schema: configSchema, prefix: "" },
    ...Object.entries(adapters).map(([kind, e]) => ({
      title: `Adapter \`${kind}\` (the gateway's \`${kind}:\` block)`,
      schema: e.schema,
      prefix: `gateways[].${kind}.`,
    })),
  ]);
}
