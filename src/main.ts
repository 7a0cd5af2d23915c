/**
 * The composition root: config -> Redis -> adapters -> roles. The only file that names adapters
 * (a new network is a folder under adapters/ plus one line in `adapters` below).
 */
import { Redis } from "ioredis";
import type { z } from "zod";
import { emailConfigSchema } from "../adapters/email/config.js";
import { createEmailAdapter, memoryThreadStore } from "../adapters/email/index.js";
import { configuredAddresses } from "../adapters/email/provisioned.js";
import { simulatorConfigSchema } from "../adapters/simulator/config.js";
import { createSimulatorAdapter } from "../adapters/simulator/index.js";
import { twilioConfigSchema } from "../adapters/twilio/config.js";
import { createTwilioAdapter } from "../adapters/twilio/index.js";
import type { AdapterSchemas, LoadedConfig, LoadedGateway } from "./config/load.js";
import { referenceMarkdown } from "./config/reference.js";
import { configSchema } from "./config/schema.js";
import type { AdapterDeps, NetworkAdapter } from "./core/adapter.js";
import { syncConfigUsers } from "./core/config-users.js";
import { destinationPolicy } from "./core/destination-policy.js";
import type { Logger } from "./core/logger.js";
import { gatewayAccounts, ownAccounts } from "./core/own-accounts.js";
import { inboundIngester } from "./core/pipeline/inbound.js";
import { rulesFor } from "./core/pipeline/network-rules.js";
import { listenOrExplain } from "./http/listen-error.js";
import { buildHttpServer, buildInternalServer } from "./http/server.js";
import { createLogger, type GatewayLogger, resolveLogFormat } from "./observability/logger.js";
import { createMetrics } from "./observability/metrics.js";
import { timedAdapter } from "./observability/timed-adapter.js";
import { QueueAdmin } from "./queue/admin.js";
import { Producer } from "./queue/producer.js";
import { startComponent } from "./roles/component.js";
import { startWorker } from "./roles/worker.js";
import { ComponentLock, ComponentLockConflict, lockConflictError } from "./store/component-lock.js";
import { ContactBook } from "./store/contacts.js";
import { cipherFromConfig } from "./store/credential-cipher.js";
import { MessageMap } from "./store/message-map.js";
import { OptOutStore } from "./store/optouts.js";
import { RedisRateLimiter } from "./store/rate-limiter.js";
import { redactedRedisUrl, waitForRedis } from "./store/redis-connect.js";
import { CachedRegistrationStore } from "./store/registration-cache.js";
import { RedisRegistrationStore } from "./store/registrations.js";
import { SentParts } from "./store/sent-parts.js";
import { packageVersion } from "./version.js";
import { XmppTransport } from "./xmpp/transport.js";

/** One line of the adapter registry: the schema of the gateway's `<kind>:` block and the factory. */
export interface AdapterEntry<C> {
  readonly schema: z.ZodType<C>;
  readonly create: (gateway: LoadedGateway, config: C, deps: AdapterDeps) => NetworkAdapter;
}
export const entry = <C>(e: AdapterEntry<C>): AdapterEntry<unknown> => e as AdapterEntry<unknown>;

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
  // Threads in memory and config-bound users only, until the core provides both (adapters/email/README.md).
  email: entry({
    schema: emailConfigSchema,
    create: (g, c, d) =>
      createEmailAdapter(
        { gatewayId: g.id, email: c },
        { ...d, threads: memoryThreadStore(), isUser: configuredAddresses(g.users) },
      ),
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
  /** Registry entries merged over `adapters` (tests: an adapter defined under test/, or a wrapped one). */
  readonly adapters?: Readonly<Record<string, AdapterEntry<unknown>>>;
}

export interface RunningGateway {
  readonly logger: GatewayLogger;
  /** host:port the webhook server listens on, when the webhooks role runs. */
  readonly httpAddress?: string;
  /** host:port of the internal listener (/metrics, /healthz, /readyz), when http.internalListen is set. */
  readonly internalAddress?: string;
  readonly transports: ReadonlyMap<string, XmppTransport>;
  /** Settles when a component hits an unrecoverable error (e.g. a wrong secret). */
  readonly fatal: Promise<Error>;
  /** Applies what can change while running (log level, config users); returns what changed. */
  reload(config: LoadedConfig): Promise<string[]>;
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

/**
 * Starts the roles. A start-up failure an operator can fix (a port in use, Redis refusing the
 * password, another XMPP service holding the gateway id) is a StartupError with its exit code;
 * whatever had started by then is stopped again first.
 */
export async function startGateway(
  config: LoadedConfig,
  options: StartOptions = {},
): Promise<RunningGateway> {
  const undo: (() => Promise<void>)[] = [];
  try {
    return await assemble(config, options, undo);
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw err instanceof ComponentLockConflict ? lockConflictError(config.redis.prefix, err) : err;
  }
}

async function assemble(
  config: LoadedConfig,
  options: StartOptions,
  undo: (() => Promise<void>)[],
): Promise<RunningGateway> {
  const roles = options.roles ?? new Set(ALL_ROLES);
  const logger = createLogger({
    level: config.log.level,
    secrets: secretValues(config),
    destination: options.logDestination,
    format: resolveLogFormat(config.log.format, !options.logDestination && process.stdout.isTTY === true),
  });
  // --- metrics: queue depth read on scrape through the admin view ---
  const queueCounts = { admin: undefined as QueueAdmin | undefined };
  const metrics = createMetrics({
    version: packageVersion(),
    queueCounts: async () => (queueCounts.admin ? queueCounts.admin.counts() : {}),
  });
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
  undo.push(async () => {
    for (const r of [redis, workerRedis, storeRedis]) r.disconnect();
  });

  // Nothing works without Redis, and it may come up after the gateway (a reboot, a container
  // order): wait for it, saying clearly what is missing, instead of starting half-seeded.
  await waitForRedis(redis, config.redis.url, logger);

  // Changes made by this process apply at once; those of another role process within 5 s.
  const registrations = new CachedRegistrationStore(
    new RedisRegistrationStore(storeRedis, config.redis.prefix, cipherFromConfig(config.credentials)),
    5_000,
  );
  await syncConfigUsers(registrations, config.gateways, logger);

  const producer = new Producer(redis, {
    store: storeRedis,
    prefix: config.redis.prefix,
    outboundAttempts: config.queue.outboundAttempts,
    deliveryAttempts: config.queue.deliveryAttempts,
    keepCompleted: config.queue.keepCompleted,
    dedupTtlSeconds: config.queue.dedupTtlSeconds,
    keepFailed: { ageSeconds: config.queue.keepFailedDays * 24 * 3600, count: config.queue.keepFailedCount },
    confirmWithinMs: config.queue.enqueueConfirmMs,
    onSeenMarkerFailed: (err) =>
      logger.warn(
        { err: { message: err.message } },
        "a job was enqueued but its duplicate marker was not written; a resend of it may be sent twice",
      ),
  });
  const messageMap = new MessageMap(storeRedis, config.redis.prefix, config.queue.messageMapTtlSeconds);
  const optOuts = new OptOutStore(storeRedis, config.redis.prefix, config.queue.optOutTtlSeconds);
  const migrated = await optOuts.migrateLegacy();
  if (migrated > 0) logger.info({ migrated }, "opt-outs moved to per-pair keys with a bounded life");
  // Per-user limits, counted in Redis so every process shares them (README: Cost limits).
  const limiter = new RedisRateLimiter(storeRedis, config.redis.prefix);
  const sentParts = new SentParts(
    storeRedis,
    config.redis.prefix,
    config.queue.dedupTtlSeconds,
    optOuts,
    messageMap,
    // Attempt notes wait for Redis (a note lost makes a claim count as "may have been sent").
    workerRedis,
  );
  const contacts = new ContactBook(workerRedis, config.redis.prefix);
  const allowedDomains = new Set(config.allowedDomains);
  queueCounts.admin = new QueueAdmin(
    redis,
    config.redis.prefix,
    config.gateways.map((g) => g.id),
  );
  const transports = new Map<string, XmppTransport>();
  const locks: ComponentLock[] = [];
  // Started once every listener and lock is in place: nothing connects before start-up can fail.
  const startTransports: (() => void)[] = [];
  let rejectFatal: (err: Error) => void = () => {};
  const fatal = new Promise<Error>((resolve) => {
    rejectFatal = resolve;
  });

  const webhookGateways = [];
  for (const g of config.gateways) {
    const adapterEntry = { ...adapters, ...options.adapters }[g.adapter];
    if (!adapterEntry) throw new Error(`unknown adapter ${g.adapter}`);
    const ingest = inboundIngester({
      gatewayId: g.id,
      producer,
      logger,
      messageMap,
      optOuts,
      onOutcome: (outcome) => metrics.inbound.inc({ gateway: g.id, outcome }),
      onStatus: (outcome) => metrics.deliveryReports.inc({ gateway: g.id, outcome }),
      onReportDelay: (seconds, status) => metrics.reportDelay.observe({ gateway: g.id, status }, seconds),
    });
    const adapter = adapterEntry.create(g, g.adapterConfig, {
      logger: logger.child({ adapter: g.adapter }),
      emit: ingest,
      ownCredentials: async (number) => (await registrations.byNumber(g.id, number))?.credentials,
    });
    stopAdapters.push(async () => adapter.close?.());
    const network = rulesFor(adapter);

    const rules = { caps: g.limits, longMessages: g.longMessages, corrections: g.corrections };
    if (roles.has("component")) {
      // --- one XMPP service per (prefix, gateway id): see store/component-lock.ts ---
      const lock = new ComponentLock(storeRedis, config.redis.prefix, g.id, {
        service: config.xmpp.service,
        domain: g.domain,
      });
      await lock.acquire((conflict) => {
        logger.error({ gateway: g.id, holder: conflict.holder }, "another XMPP service took this gateway id");
      });
      locks.push(lock);
      undo.push(() => lock.release());
      const transport = new XmppTransport({ ...config.xmpp, domain: g.domain, secret: g.secret }, logger);
      transports.set(g.id, transport);
      transport.on("online", () => metrics.xmppOnline.set({ gateway: g.id }, 1));
      transport.on("offline", () => metrics.xmppOnline.set({ gateway: g.id }, 0));
      transport.on("fatal", (err) => rejectFatal(err));
      const role = startComponent({
        gatewayId: g.id,
        transport,
        adapter,
        network,
        contacts,
        producer,
        registrations,
        allowedDomains,
        admins: new Set(config.admins),
        registrationMode: g.registration.mode,
        ...(g.name ? { name: g.name } : {}),
        queues: new QueueAdmin(redis, config.redis.prefix, [g.id]),
        workerRedis,
        prefix: config.redis.prefix,
        logger,
        onOutbound: (outcome) => metrics.outbound.inc({ gateway: g.id, outcome }),
        mediaPolicy: config.media,
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
      startTransports.push(() => transport.start());
      stopComponents.push(async () => {
        await role.stop();
        await transport.stop();
        await lock.release();
      });
      undo.push(async () => {
        await role.stop();
        await transport.stop();
      });
    }
    if (roles.has("worker")) {
      const reportRoute = adapter.webhooks?.find((r) => r.carriesReports);
      const timed = timedAdapter(adapter, (seconds, outcome) =>
        metrics.sendDuration.observe({ gateway: g.id, outcome }, seconds),
      );
      const worker = startWorker({
        gatewayId: g.id,
        adapter: timed,
        network,
        // Only self-service users carry their own accounts: no lookup per send otherwise.
        accounts:
          g.registration.mode === "self-service"
            ? ownAccounts(registrations, g.id, adapter.registration?.accountOf)
            : gatewayAccounts,
        workerRedis,
        producer,
        logger,
        prefix: config.redis.prefix,
        concurrency: config.queue.outboundConcurrency,
        backoffMs: config.queue.outboundBackoffMs,
        maxBackoffMs: config.queue.maxBackoffMs,
        messageMap,
        parts: sentParts,
        optOuts,
        rules,
        lockDurationMs: config.queue.lockDurationMs,
        stalledIntervalMs: config.queue.stalledIntervalMs,
        statusCallbackUrl: reportRoute
          ? `${config.http.publicUrl}/webhooks/${g.id}/${reportRoute.path}`
          : undefined,
        onOutcome: (outcome) => metrics.outbound.inc({ gateway: g.id, outcome }),
        onReport: (outcome) => metrics.deliveryReports.inc({ gateway: g.id, outcome }),
      });
      stopWorkers.push(() => worker.close());
      undo.push(() => worker.close());
    }
    if (adapter.webhooks) webhookGateways.push({ id: g.id, routes: adapter.webhooks, ingest });
  }

  const ready = async () => {
    const redisOk = await redis.ping().then(
      () => true,
      () => false,
    );
    const xmpp = Object.fromEntries([...transports].map(([id, t]) => [id, t.online]));
    return { ok: redisOk && Object.values(xmpp).every(Boolean), detail: { redis: redisOk, xmpp } };
  };
  let httpAddress: string | undefined;
  if (roles.has("webhooks")) {
    // No /metrics here: the public listener faces providers (and the internet).
    const app = buildHttpServer({
      publicUrl: config.http.publicUrl,
      bodyLimitBytes: config.http.bodyLimitBytes,
      limits: config.http,
      gateways: webhookGateways,
      logger,
      onRequest: (gateway, route, status) => metrics.webhooks.inc({ gateway, route, status: String(status) }),
      ready,
    });
    const url = await listenOrExplain(app, config.http.listen, "http.listen");
    httpAddress = new URL(url).host;
    logger.info({ listen: httpAddress, publicUrl: config.http.publicUrl }, "webhook server listening");
    stopHttp.push(() => app.close());
    undo.push(() => app.close());
  }
  // --- the internal listener: /metrics and health, in every role ---
  let internalAddress: string | undefined;
  if (config.http.internalListen !== undefined) {
    const internal = buildInternalServer({ metrics: metrics.registry, ready });
    const url = await listenOrExplain(internal, config.http.internalListen, "http.internalListen");
    internalAddress = new URL(url).host;
    logger.info({ listen: internalAddress }, "internal listener (metrics, health) listening");
    stopHttp.push(() => internal.close());
    undo.push(() => internal.close());
  }
  for (const start of startTransports) start();

  let stopped: Promise<void> | undefined;
  return {
    logger,
    httpAddress,
    internalAddress,
    transports,
    fatal,
    async reload(next) {
      const changes: string[] = [];
      if (next.log.level !== logger.level) {
        changes.push(`log level ${logger.level} -> ${next.log.level}`);
        logger.setLevel(next.log.level);
      }
      const users = await syncConfigUsers(registrations, next.gateways, logger);
      if (users.bound + users.unbound > 0)
        changes.push(`users: ${users.bound} bound, ${users.unbound} unbound`);
      return changes;
    },
    stop() {
      stopped ??= (async () => {
        for (const stop of [...stopHttp, ...stopComponents, ...stopWorkers, ...stopAdapters]) {
          await stop().catch((err: Error) => logger.warn({ reason: err.message }, "error while stopping"));
        }
        await producer.close();
        await queueCounts.admin?.close();
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
export const redactedUrl = redactedRedisUrl;

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
