/**
 * The webhook server (fastify): mounts each gateway's adapter routes under
 * /webhooks/<gatewayId>/<path>, plus /healthz, /readyz and /metrics.
 *
 * A webhook is answered only after its events are safely enqueued; a bad signature gets 403 and
 * nothing is enqueued. Signatures are checked against the configured public URL, never Host.
 * Limits (WebhookServerLimits, see limits.ts) keep slow or numerous clients from holding it.
 */
import Fastify, { type FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import {
  type InboundEvent,
  WebhookAuthError,
  WebhookInputError,
  type WebhookRoute,
} from "../core/adapter.js";
import type { Logger } from "../core/logger.js";
import { parseForm } from "./form.js";
import { applyLimits, fastifyLimitOptions, type WebhookServerLimits } from "./limits.js";

export type { WebhookServerLimits } from "./limits.js";

export interface WebhookGateway {
  readonly id: string;
  readonly routes: readonly WebhookRoute[];
  /** Enqueue what a webhook carried; resolves once it is durable. */
  readonly ingest: (events: InboundEvent[]) => Promise<void>;
}

export interface HttpServerOptions {
  readonly publicUrl: string;
  readonly bodyLimitBytes: number;
  readonly limits: WebhookServerLimits;
  readonly gateways: readonly WebhookGateway[];
  readonly logger: Logger;
  readonly metrics?: Registry;
  readonly ready: () => Promise<{ ok: boolean; detail: Record<string, unknown> }>;
  readonly onRequest?: (gatewayId: string, route: string, status: number) => void;
}

export function buildHttpServer(o: HttpServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: o.bodyLimitBytes, ...fastifyLimitOptions(o.limits) });
  const log = o.logger.child({ role: "webhooks" });
  applyLimits(app, o.limits, log);

  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) =>
    done(null, body),
  );

  app.get("/healthz", async () => ({ ok: true }));
  app.get("/readyz", async (_req, res) => {
    const r = await o.ready();
    return res.code(r.ok ? 200 : 503).send(r);
  });
  if (o.metrics) {
    const registry = o.metrics;
    app.get("/metrics", async (_req, res) => res.type(registry.contentType).send(await registry.metrics()));
  }

  for (const gw of o.gateways) {
    for (const route of gw.routes) {
      const path = `/webhooks/${gw.id}/${route.path}`;
      app.post(path, async (req, res) => {
        const send = (status: number, type: string, body: string) => {
          o.onRequest?.(gw.id, route.path, status);
          return res.code(status).type(type).send(body);
        };
        // Only a form: fastify's built-in text/plain parser also yields a string body.
        const mediaType = req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
        if (typeof req.body !== "string" || mediaType !== "application/x-www-form-urlencoded") {
          return send(415, "text/plain", "expected application/x-www-form-urlencoded\n");
        }
        const q = req.url.indexOf("?");
        const publicUrl = `${o.publicUrl}${path}${q === -1 ? "" : req.url.slice(q)}`;
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(",") : v;
        let handled: Awaited<ReturnType<WebhookRoute["handle"]>>;
        try {
          handled = await route.handle({ publicUrl, headers, form: parseForm(req.body), rawBody: req.body });
        } catch (err) {
          if (err instanceof WebhookAuthError) {
            log.warn(
              { gateway: gw.id, route: route.path, reason: err.message },
              "webhook refused: bad signature",
            );
            return send(403, "text/plain", "forbidden\n");
          }
          if (err instanceof WebhookInputError) {
            log.warn(
              { gateway: gw.id, route: route.path, reason: err.message },
              "webhook refused: malformed",
            );
            return send(400, "text/plain", `${err.message}\n`);
          }
          throw err;
        }
        try {
          await gw.ingest(handled.events);
        } catch (err) {
          // Not enqueued: make the provider retry later rather than lose it.
          log.error({ gateway: gw.id, err: { message: (err as Error).message } }, "webhook not enqueued");
          return send(503, "text/plain", "temporarily unavailable\n");
        }
        return send(handled.ack.status, handled.ack.contentType, handled.ack.body);
      });
    }
  }

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, res) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) log.error({ err: { message: err.message } }, "webhook server error");
    return res
      .code(status)
      .type("text/plain")
      .send(status === 500 ? "internal error\n" : `${err.message}\n`);
  });
  return app;
}

export async function listen(app: FastifyInstance, listenAddr: string): Promise<string> {
  const i = listenAddr.lastIndexOf(":");
  const host = listenAddr.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(listenAddr.slice(i + 1));
  return app.listen({ host, port });
}

export interface InternalServerOptions {
  readonly metrics: Registry;
  readonly ready: HttpServerOptions["ready"];
}

/**
 * The internal listener (http.internalListen): /metrics, /healthz and /readyz for monitoring, in
 * every role, on an address kept off the internet. The public webhook listener never serves
 * /metrics.
 */
export function buildInternalServer(o: InternalServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 });
  app.get("/healthz", async () => ({ ok: true }));
  app.get("/readyz", async (_req, res) => {
    const r = await o.ready();
    return res.code(r.ok ? 200 : 503).send(r);
  });
  app.get("/metrics", async (_req, res) => res.type(o.metrics.contentType).send(await o.metrics.metrics()));
  return app;
}
