/**
 * The HTTP side of a running gateway: the public webhook server (webhooks role) and the internal
 * listener (/metrics and health, every role), built from the pieces main.ts made and listening.
 */
import { buildHttpServer, buildInternalServer, type HttpServerOptions } from "../http/server.js";
import type { Built } from "./built.js";
import { listenOn } from "./running.js";

/** The webhook server (webhooks role) and the internal listener, built and listening. */
export async function listeners(
  b: Built,
  roles: ReadonlySet<string>,
  gateways: HttpServerOptions["gateways"],
  ready: HttpServerOptions["ready"],
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
