/**
 * A started gateway as the CLI holds it: the listeners put up (servers main.ts built), readiness,
 * reload and the stop in order (Stoppers).
 */
import type { LoadedConfig } from "../config/load.js";
import { syncConfigUsers } from "../core/config-users.js";
import { listenOrExplain } from "../http/listen-error.js";
import type { GatewayLogger } from "../observability/logger.js";
import type { QueueAdmin } from "../queue/admin.js";
import type { XmppTransport } from "../xmpp/transport.js";
import type { Built } from "./built.js";

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

/** Ready: Redis answers and every component is online. */
export function readiness(b: Built, transports: ReadonlyMap<string, XmppTransport>) {
  return async () => {
    const redisOk = await b.redis.ping().then(
      () => true,
      () => false,
    );
    const xmpp = Object.fromEntries([...transports].map(([id, t]) => [id, t.online]));
    return { ok: redisOk && Object.values(xmpp).every(Boolean), detail: { redis: redisOk, xmpp } };
  };
}

/** Listens with `app` on `listen` (`option` names the setting in errors); returns host:port. */
export async function listenOn(
  b: Built,
  app: Parameters<typeof listenOrExplain>[0],
  listen: string,
  option: string,
  what: string,
): Promise<string> {
  const url = await listenOrExplain(app, listen, option);
  const address = new URL(url).host;
  b.logger.info(
    { listen: address, ...(option === "http.listen" ? { publicUrl: b.config.http.publicUrl } : {}) },
    what,
  );
  b.stoppers.http.push(() => app.close());
  b.stoppers.undo.push(() => app.close());
  return address;
}

export function runningGateway(
  b: Built,
  started: {
    readonly httpAddress?: string;
    readonly internalAddress?: string;
    readonly transports: ReadonlyMap<string, XmppTransport>;
    readonly fatal: Promise<Error>;
    readonly admin: QueueAdmin;
  },
): RunningGateway {
  const { logger } = b;
  let stopped: Promise<void> | undefined;
  return {
    logger,
    ...started,
    async reload(next) {
      const changes: string[] = [];
      if (next.log.level !== logger.level) {
        changes.push(`log level ${logger.level} -> ${next.log.level}`);
        logger.setLevel(next.log.level);
      }
      const users = await syncConfigUsers(b.registrations, next.gateways, logger);
      if (users.bound + users.unbound > 0)
        changes.push(`users: ${users.bound} bound, ${users.unbound} unbound`);
      return changes;
    },
    stop() {
      stopped ??= stopWithin(b, started.admin);
      return stopped;
    },
  };
}

/**
 * How long a stop waits for its steps while Redis does not answer: BullMQ's closes then wait for
 * Redis forever (their QUIT sits in ioredis's offline queue) and nothing can be recorded anyway.
 * Well under start.ts's 15 s force exit. While Redis answers the steps are not bounded here;
 * start.ts's force exit stays the last resort. A job that finishes after the connections were
 * closed this way is left unsettled by its worker's send bound (send-bound.ts): BullMQ would
 * retry recording it at once and without end (Worker.retryIfFailed skips its delay while
 * closing), taking the event loop of an in-process gateway.
 */
const STOP_WAIT_REDIS_AWAY_MS = 2_000;

function redisAnswers(b: Built): boolean {
  return [b.redis, b.workerRedis, b.storeRedis].every((r) => r.status === "ready");
}

/** The stop's steps in order; a step that fails is logged and the next one runs. */
async function stopSteps(b: Built, admin: QueueAdmin): Promise<void> {
  for (const stop of b.stoppers.all()) {
    await stop().catch((err: Error) => b.logger.warn({ reason: err.message }, "error while stopping"));
  }
  await b.producer.close();
  await admin.close();
}

/**
 * Runs the stop's steps; while Redis is away, bounded: past the bound the Redis connections are
 * closed without waiting, with one warning. Nothing is lost by it: a job whose worker stopped this
 * way is taken up again by another worker after its lock expires (the stall check), and the part
 * ledger keeps a part whose request was in flight from being sent again.
 */
async function stopWithin(b: Built, admin: QueueAdmin): Promise<void> {
  const steps = stopSteps(b, admin).then(
    () => true,
    (err: Error) => {
      b.logger.warn({ reason: err.message }, "error while stopping");
      return true;
    },
  );
  const finished = redisAnswers(b) ? await steps : await within(steps, STOP_WAIT_REDIS_AWAY_MS);
  if (!finished) {
    b.logger.warn(
      { waitedMs: STOP_WAIT_REDIS_AWAY_MS, redis: "not answering" },
      "stopping did not finish in time: closing the Redis connections without waiting; jobs in flight are taken up again after their lock expires",
    );
  }
  b.redis.disconnect();
  b.workerRedis.disconnect();
  b.storeRedis.disconnect();
  b.logger.info("stopped");
}

/** `done`'s value, or false once `ms` passed first. */
async function within(done: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const finished = await Promise.race([done, bound]);
  clearTimeout(timer);
  return finished;
}
