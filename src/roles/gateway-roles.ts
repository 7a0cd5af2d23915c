/**
 * The roles of one gateway, started from pieces main.ts built: the inbound ingester its adapter
 * emits into, the component role (around the transport and lock main.ts made) and the worker
 * role. Reads the gateway's config for their options; never names an adapter.
 * (The adapter's own listeners start with the other listeners: listeners.ts.)
 */
import type { LoadedGateway } from "../config/load.js";
import { effectivePace } from "../config/pacing-schema.js";
import type { AdapterDeps, NetworkAdapter } from "../core/adapter.js";
import { gatewayAccounts, ownAccounts } from "../core/own-accounts.js";
import { inboundIngester } from "../core/pipeline/inbound.js";
import { rulesFor } from "../core/pipeline/network-rules.js";
import { type Pacing, paceOf } from "../core/pipeline/pacing.js";
import type { PaceSetting } from "../core/ports.js";
import { threadsOf } from "../core/threads.js";
import { timedAdapter } from "../observability/timed-adapter.js";
import type { QueueAdmin } from "../queue/admin.js";
import { closeWhenReady } from "../queue/close-when-ready.js";
import type { ComponentLock } from "../store/component-lock.js";
import type { XmppTransport } from "../xmpp/transport.js";
import type { Built } from "./built.js";
import { startComponent } from "./component.js";
import { startWorker } from "./worker.js";

/**
 * What the gateway's adapter gets from the core: a logger, the ingester to emit into, lookups of
 * the gateway's registrations, and its thread store.
 */
export function adapterDeps(b: Built, g: LoadedGateway, emit: AdapterDeps["emit"]): AdapterDeps {
  const byAddress = (address: string) => b.registrations.byAddress(g.id, address);
  return {
    logger: b.logger.child({ adapter: g.adapter }),
    emit,
    ownCredentials: async (address) => (await byAddress(address))?.credentials,
    isRegistered: async (address) => (await byAddress(address)) !== undefined,
    threads: threadsOf(b.threads, g.id),
  };
}

export function ingesterFor(b: Built, g: LoadedGateway, adapter: NetworkAdapter) {
  const { metrics } = b;
  return inboundIngester({
    gatewayId: g.id,
    network: rulesFor(adapter),
    producer: b.producer,
    logger: b.logger,
    messageMap: b.messageMap,
    optOuts: b.optOuts,
    onOutcome: (outcome) => metrics.inbound.inc({ gateway: g.id, outcome }),
    onStatus: (outcome) => metrics.deliveryReports.inc({ gateway: g.id, outcome }),
    onReportDelay: (seconds, status) => metrics.reportDelay.observe({ gateway: g.id, status }, seconds),
  });
}

const rulesOf = (g: LoadedGateway) => ({
  caps: g.limits,
  longMessages: g.longMessages,
  corrections: g.corrections,
});

export interface ComponentInfrastructure {
  readonly lock: ComponentLock;
  readonly transport: XmppTransport;
  readonly queues: QueueAdmin;
}

/** Takes the gateway's lock and starts its component role; the transport starts later. */
export async function startComponentFor(
  b: Built,
  g: LoadedGateway,
  adapter: NetworkAdapter,
  { lock, transport, queues }: ComponentInfrastructure,
): Promise<void> {
  const { config, logger, metrics, limiter, stoppers } = b;
  // --- one XMPP service per (prefix, gateway id): see store/component-lock.ts ---
  await lock.acquire((conflict) => {
    logger.error({ gateway: g.id, holder: conflict.holder }, "another XMPP service took this gateway id");
  });
  stoppers.undo.push(() => lock.release());
  transport.on("online", () => metrics.xmppOnline.set({ gateway: g.id }, 1));
  transport.on("offline", () => metrics.xmppOnline.set({ gateway: g.id }, 0));
  const role = startComponent({
    gatewayId: g.id,
    transport,
    adapter,
    network: rulesFor(adapter),
    contacts: b.contacts,
    producer: b.producer,
    registrations: b.registrations,
    allowedDomains: new Set(config.allowedDomains),
    admins: new Set(config.admins),
    registrationMode: g.registration.mode,
    ...(g.name ? { name: g.name } : {}),
    queues,
    workerRedis: b.workerRedis,
    prefix: config.redis.prefix,
    logger,
    lag: b.intakeLag,
    onOutbound: (outcome, seconds) => {
      metrics.outbound.inc({ gateway: g.id, outcome });
      if (outcome === "enqueued" && seconds !== undefined)
        metrics.intakeDuration.observe({ gateway: g.id }, seconds);
    },
    mediaPolicy: config.media,
    onInbound: (outcome) => metrics.inbound.inc({ gateway: g.id, outcome }),
    deliveryConcurrency: config.queue.deliveryConcurrency,
    rules: rulesOf(g),
    sendLimits: {
      limiter,
      defaults: g.limits.perUser,
      overrides: new Map(g.limits.users.map(({ jid, ...own }) => [jid, own])),
    },
    ...(adapter.destinations
      ? { checkDestination: (a: string) => adapter.destinations?.checkDestination(a) }
      : {}),
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
    displayNames: new Map(
      g.users.flatMap((u) => (u.name === undefined ? [] : [[u.address, u.name] as const])),
    ),
    lockDurationMs: config.queue.lockDurationMs,
    stalledIntervalMs: config.queue.stalledIntervalMs,
  });
  stoppers.components.push(async () => {
    await role.stop();
    await transport.stop();
    await lock.release();
  });
  stoppers.undo.push(async () => {
    await role.stop();
    await transport.stop();
  });
}

/** Starts the gateway's worker; `defaultPacing` is the adapter's pace when the config sets none. */
export function startWorkerFor(
  b: Built,
  g: LoadedGateway,
  adapter: NetworkAdapter,
  defaultPacing: PaceSetting,
): void {
  const { config, metrics } = b;
  const reportRoute = adapter.webhooks?.find((r) => r.carriesReports);
  const timed = timedAdapter(adapter, (seconds, outcome) =>
    metrics.sendDuration.observe({ gateway: g.id, outcome }, seconds),
  );
  const worker = startWorker({
    gatewayId: g.id,
    adapter: timed,
    network: rulesFor(adapter),
    // Only self-service users carry their own accounts: no lookup per send otherwise.
    accounts:
      g.registration.mode === "self-service"
        ? ownAccounts(b.registrations, g.id, adapter.registration?.accountOf)
        : gatewayAccounts,
    workerRedis: b.workerRedis,
    producer: b.producer,
    logger: b.logger,
    prefix: config.redis.prefix,
    concurrency: config.queue.outboundConcurrency,
    backoffMs: config.queue.outboundBackoffMs,
    maxBackoffMs: config.queue.maxBackoffMs,
    messageMap: b.messageMap,
    parts: b.sentParts,
    optOuts: b.optOuts,
    rules: rulesOf(g),
    lockDurationMs: config.queue.lockDurationMs,
    stalledIntervalMs: config.queue.stalledIntervalMs,
    statusCallbackUrl: reportRoute
      ? `${config.http.publicUrl}/webhooks/${g.id}/${reportRoute.path}`
      : undefined,
    ...pacingOf(b, g, defaultPacing),
    intakeLag: b.intakeLag,
    onOutcome: (outcome) => metrics.outbound.inc({ gateway: g.id, outcome }),
    onReport: (outcome) => metrics.deliveryReports.inc({ gateway: g.id, outcome }),
  });
  b.stoppers.workers.push(() => closeWhenReady(worker));
  b.stoppers.undo.push(() => closeWhenReady(worker));
}

/** The gateway's pacing per sender number, when it (its config or adapter) or one of its users paces. */
function pacingOf(b: Built, g: LoadedGateway, defaultPacing: PaceSetting): { pacing?: Pacing } {
  const pace = effectivePace(g.pacing, defaultPacing);
  if (pace === undefined && !g.users.some((u) => u.pacing !== undefined && u.pacing !== "off")) return {};
  const users = g.users.map((u) => ({
    number: u.address,
    ...(u.pacing === undefined ? {} : { pacing: u.pacing }),
  }));
  return { pacing: { pacer: b.pacer, paceOf: paceOf(pace, users) } };
}
