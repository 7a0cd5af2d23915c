/**
 * The composition root: config -> Redis -> adapters -> roles. The only file that names adapters
 * (a new network is a folder under adapters/ plus one line in `adapters` below).
 */
import { Redis } from "ioredis";
import type { z } from "zod";
import {
  configAddressProblem,
  createEmailGateway,
  emailConfigSchema,
  emailDefaultPacing,
} from "../adapters/email/index.js";
import { simulatorConfigSchema, simulatorDefaultPacing } from "../adapters/simulator/config.js";
import { createSimulatorAdapter } from "../adapters/simulator/index.js";
import { configNumberProblem } from "../adapters/sms-kit/index.js";
import { createTelnyxAdapter, telnyxConfigSchema, telnyxDefaultPacing } from "../adapters/telnyx/index.js";
import { twilioConfigSchema, twilioDefaultPacing } from "../adapters/twilio/config.js";
import { createTwilioAdapter } from "../adapters/twilio/index.js";
import {
  createSignalwireAdapter,
  signalwireConfigSchema,
  signalwireDefaultPacing,
} from "../adapters/twilio/signalwire.js";
import type { AdapterSchemas, LoadedConfig, LoadedGateway } from "./config/load.js";
import { registryReference } from "./config/reference.js";
import { configSchema } from "./config/schema.js";
import type { AdapterDeps, NetworkAdapter } from "./core/adapter.js";
import { registerAddressCheck } from "./core/address-checks.js";
import { syncConfigUsers } from "./core/config-users.js";
import { IntakeLag } from "./core/intake-lag.js";
import type { PaceSetting } from "./core/ports.js";
import type { HttpServerOptions } from "./http/server.js";
import { createLogger, type GatewayLogger, resolveLogFormat } from "./observability/logger.js";
import { createMetrics, type Metrics } from "./observability/metrics.js";
import { QueueAdmin } from "./queue/admin.js";
import { Producer } from "./queue/producer.js";
import { type Built, Stoppers } from "./roles/built.js";
import { adapterDeps, ingesterFor, startComponentFor, startWorkerFor } from "./roles/gateway-roles.js";
import { type AdapterListener, listeners } from "./roles/listeners.js";
import { type RunningGateway, readiness, runningGateway } from "./roles/running.js";
import { secretValues } from "./roles/secrets.js";
import { ComponentLock, ComponentLockConflict, lockConflictError } from "./store/component-lock.js";
import { ContactBook } from "./store/contacts.js";
import { cipherFromConfig } from "./store/credential-cipher.js";
import { MessageMap } from "./store/message-map.js";
import { OptOutStore } from "./store/optouts.js";
import { RedisRateLimiter } from "./store/rate-limiter.js";
import { redisErrorLogger, waitForRedis } from "./store/redis-connect.js";
import { CachedRegistrationStore } from "./store/registration-cache.js";
import { RedisRegistrationStore } from "./store/registrations.js";
import { RedisSendPacer } from "./store/send-pacer.js";
import { SentParts } from "./store/sent-parts.js";
import { RedisThreadStore } from "./store/threads.js";
import { coalesceWrites } from "./store/write-coalescing.js";
import { packageVersion } from "./version.js";
import { XmppTransport } from "./xmpp/transport.js";

/**
 * One line of the adapter registry: the schema of the gateway's `<kind>:` block, the factory, and
 * the pace of a sender number when the gateway's config sets none (its provider's limit, or "off").
 */
export interface AdapterEntry<C> {
  readonly schema: z.ZodType<C>;
  readonly create: (gateway: LoadedGateway, config: C, deps: AdapterDeps) => NetworkAdapter;
  readonly pacing: PaceSetting;
}
export const entry = <C>(e: AdapterEntry<C>): AdapterEntry<unknown> => e as AdapterEntry<unknown>;

const common = (g: LoadedGateway) => ({
  gatewayId: g.id,
  defaultRegion: g.defaultRegion,
  numberCheck: g.numberCheck,
  destinations: g.destinations,
});

export const adapters: Readonly<Record<string, AdapterEntry<unknown>>> = {
  twilio: entry({
    schema: twilioConfigSchema,
    pacing: twilioDefaultPacing,
    create: (g, c, d) => createTwilioAdapter({ ...common(g), twilio: c }, d),
  }),
  simulator: entry({
    schema: simulatorConfigSchema,
    pacing: simulatorDefaultPacing,
    create: (g, c, d) => createSimulatorAdapter({ ...common(g), simulator: c }, d),
  }),
  telnyx: entry({
    schema: telnyxConfigSchema,
    pacing: telnyxDefaultPacing,
    create: (g, c, d) => createTelnyxAdapter({ ...common(g), telnyx: c }, d),
  }),
  signalwire: entry({
    schema: signalwireConfigSchema,
    pacing: signalwireDefaultPacing,
    create: (g, c, d) => createSignalwireAdapter({ ...common(g), signalwire: c }, d),
  }),
  email: entry({ schema: emailConfigSchema, pacing: emailDefaultPacing, create: createEmailGateway }),
};

// check-config checks config users' numbers as the SMS adapters would parse them.
for (const kind of ["twilio", "simulator", "telnyx", "signalwire"])
  registerAddressCheck(kind, configNumberProblem);
registerAddressCheck("email", configAddressProblem);

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

export type { RunningGateway } from "./roles/running.js";
export { secretValues } from "./roles/secrets.js";

/**
 * Starts the roles. A start-up failure an operator can fix (a port in use, Redis refusing the
 * password, another XMPP service holding the gateway id) is a StartupError with its exit code;
 * whatever had started by then is stopped again first.
 */
export async function startGateway(
  config: LoadedConfig,
  options: StartOptions = {},
): Promise<RunningGateway> {
  const stoppers = new Stoppers();
  try {
    return await assemble(config, options, stoppers);
  } catch (err) {
    for (const step of stoppers.undo.reverse()) await step().catch(() => undefined);
    throw err instanceof ComponentLockConflict ? lockConflictError(config.redis.prefix, err) : err;
  }
}

async function assemble(
  config: LoadedConfig,
  options: StartOptions,
  stoppers: Stoppers,
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
  const b = await build(config, logger, metrics, stoppers);
  const admin = new QueueAdmin(
    b.redis,
    config.redis.prefix,
    config.gateways.map((g) => g.id),
  );
  queueCounts.admin = admin;
  const transports = new Map<string, XmppTransport>();
  let rejectFatal: (err: Error) => void = () => {};
  const fatal = new Promise<Error>((resolve) => {
    rejectFatal = resolve;
  });
  const webhookGateways: HttpServerOptions["gateways"][number][] = [];
  const inbound: AdapterListener[] = [];
  for (const [index, g] of config.gateways.entries()) {
    const adapterEntry = { ...adapters, ...options.adapters }[g.adapter];
    if (!adapterEntry) throw new Error(`unknown adapter ${g.adapter}`);
    // The adapter is built first (its rules feed the ingester); it emits only once started.
    const adapter = adapterEntry.create(
      g,
      g.adapterConfig,
      adapterDeps(b, g, (events) => ingest(events)),
    );
    stoppers.adapters.push(async () => adapter.close?.());
    const ingest = ingesterFor(b, g, adapter);
    if (roles.has("component")) {
      const lock = new ComponentLock(b.storeRedis, config.redis.prefix, g.id, {
        service: config.xmpp.service,
        domain: g.domain,
      });
      const transport = new XmppTransport({ ...config.xmpp, domain: g.domain, secret: g.secret }, logger);
      transport.on("fatal", (err) => rejectFatal(err));
      transports.set(g.id, transport);
      const queues = new QueueAdmin(b.redis, config.redis.prefix, [g.id]);
      await startComponentFor(b, g, adapter, { lock, transport, queues });
    }
    if (roles.has("worker")) startWorkerFor(b, g, adapter, adapterEntry.pacing);
    if (adapter.webhooks) webhookGateways.push({ id: g.id, routes: adapter.webhooks, ingest });
    for (const listener of adapter.listeners ?? []) inbound.push({ gateway: g.id, index, listener });
  }
  const ready = readiness(b, transports);
  const { httpAddress, internalAddress } = await listeners(b, roles, webhookGateways, ready, inbound);
  // Started once every listener and lock is in place: nothing connects before start-up can fail.
  for (const transport of transports.values()) transport.start();
  return runningGateway(b, { httpAddress, internalAddress, transports, fatal, admin });
}

/** Makes Redis clients on `url`, their errors logged by `onError`. */
function redisClient(url: string, onError: (err: Error) => void) {
  return (connectionName: string, maxRetriesPerRequest: number | null) => {
    const r = new Redis(url, { maxRetriesPerRequest, connectionName });
    r.on("error", onError);
    return coalesceWrites(r); // one socket write per event-loop turn
  };
}

/** The Redis clients and every store on them. */
async function build(
  config: LoadedConfig,
  logger: GatewayLogger,
  metrics: Metrics,
  stoppers: Stoppers,
): Promise<Built> {
  const { url, prefix } = config.redis;
  const client = redisClient(url, redisErrorLogger(logger, url));
  const redis = client("xgw", 3);
  const workerRedis = client("xgw-worker", null);
  // The stores' own commands and pipelines. Not shared with BullMQ: ioredis copies every script
  // defined on a connection (BullMQ defines dozens) into each pipeline made from it.
  const storeRedis = client("xgw-store", 3);
  stoppers.undo.push(async () => {
    for (const r of [redis, workerRedis, storeRedis]) r.disconnect();
  });
  // Nothing works without Redis, and it may come up after the gateway (a reboot, a container
  // order): wait for it, saying clearly what is missing, instead of starting half-seeded.
  await waitForRedis(redis, url, logger);

  // Changes made by this process apply at once; those of another role process within 5 s.
  const registrations = new CachedRegistrationStore(
    new RedisRegistrationStore(storeRedis, prefix, cipherFromConfig(config.credentials)),
    5_000,
  );
  await syncConfigUsers(registrations, config.gateways, logger);
  const producer = new Producer(redis, {
    store: storeRedis,
    prefix,
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
  const messageMap = new MessageMap(storeRedis, prefix, config.queue.messageMapTtlSeconds);
  const optOuts = new OptOutStore(storeRedis, prefix, config.queue.optOutTtlSeconds);
  const migrated = await optOuts.migrateLegacy();
  if (migrated > 0) logger.info({ migrated }, "opt-outs moved to per-pair keys with a bounded life");
  const pacer = new RedisSendPacer(storeRedis, prefix);
  // Attempt notes wait for Redis (a note lost makes a claim count as "may have been sent"); part
  // 0's send slot is booked with its claim.
  const sentParts = new SentParts(
    storeRedis,
    prefix,
    config.queue.dedupTtlSeconds,
    optOuts,
    messageMap,
    workerRedis,
    pacer,
  );
  return {
    ...{
      config,
      logger,
      metrics,
      redis,
      workerRedis,
      storeRedis,
      registrations,
      producer,
      messageMap,
      optOuts,
    },
    // Per-user limits, counted in Redis so every process shares them (README: Cost limits).
    limiter: new RedisRateLimiter(storeRedis, prefix),
    pacer,
    sentParts,
    contacts: new ContactBook(workerRedis, prefix),
    threads: new RedisThreadStore(storeRedis, prefix),
    stoppers,
    intakeLag: metrics.intakeBehind.follow(new IntakeLag()),
  };
}

/** The configuration reference (README section), generated from every schema. */
export const configReference = (): string => registryReference(configSchema, adapters);
