/**
 * The listening side of a running gateway: the public webhook server and the adapters' own
 * inbound listeners (an SMTP server) in the webhooks role (the one that takes inbound traffic),
 * and the internal listener (/metrics and health) in every role, built from the pieces main.ts
 * made. Each is closed on stop, and a listener that cannot bind is a start-up error naming its
 * address and option.
 */
import type { InboundListener } from "../core/adapter.js";
import { explainListenError } from "../http/listen-error.js";
import { buildHttpServer, buildInternalServer, type HttpServerOptions } from "../http/server.js";
import type { Built } from "./built.js";
import { listenOn } from "./running.js";

/** One of an adapter's listeners, with the gateway (id, index in the config) whose it is. */
export interface AdapterListener {
  readonly gateway: string;
  readonly index: number;
  readonly listener: InboundListener;
}

/** The webhook server and the adapters' listeners (webhooks role) and the internal listener, listening. */
export async function listeners(
  b: Built,
  roles: ReadonlySet<string>,
  gateways: HttpServerOptions["gateways"],
  ready: HttpServerOptions["ready"],
  inbound: readonly AdapterListener[] = [],
): Promise<{ httpAddress?: string; internalAddress?: string }> {
  const { config, logger, metrics } = b;
  let httpAddress: string | undefined;
  if (roles.has("webhooks")) {
    // No /metrics here: the public listener faces providers (and the internet).
    const app = buildHttpServer({
      publicUrl: config.http.publicUrl,
      bodyLimitBytes: config.http.bodyLimitBytes,
      limits: config.http,
      gateways,
      logger,
      onRequest: (gateway, route, status) => metrics.webhooks.inc({ gateway, route, status: String(status) }),
      ready,
    });
    httpAddress = await listenOn(b, app, config.http.listen, "http.listen", "webhook server listening");
    for (const l of inbound) await startAdapterListener(b, l);
  }
  // --- the internal listener: /metrics and health, in every role ---
  let internalAddress: string | undefined;
  if (config.http.internalListen !== undefined) {
    const internal = buildInternalServer({ metrics: metrics.registry, ready });
    const what = "internal listener (metrics, health) listening";
    internalAddress = await listenOn(b, internal, config.http.internalListen, "http.internalListen", what);
  }
  return { httpAddress, internalAddress };
}

/** Starts one adapter listener; closed with the webhook server on stop (and on a failed start-up). */
async function startAdapterListener(b: Built, { gateway, index, listener }: AdapterListener): Promise<void> {
  const where = listener.listen;
  try {
    await listener.start();
  } catch (err) {
    await listener.close().catch(() => undefined);
    if (where === undefined) throw err;
    throw explainListenError(err, where.address, `gateways[${index}].${where.option}`);
  }
  b.logger.info({ gateway, ...(where ? { listen: where.address } : {}) }, "adapter listener started");
  b.stoppers.http.push(() => listener.close());
  b.stoppers.undo.push(() => listener.close());
}
