/**
 * The webhook server (fastify): mounts each gateway's adapter routes under
 * /webhooks/<gatewayId>/<path>, plus /healthz, /readyz and /metrics.
 *
 * Each route declares the media types it takes (any other: 415) and gets the raw body, plus the
 * parsed fields of a form. A webhook is answered only after its events are safely enqueued; a bad
 * signature gets 403 and nothing is enqueued. Signatures are checked against the configured public URL, never Host.
 * Limits (WebhookServerLimits, see limits.ts) keep slow or numerous clients from holding it.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Registry } from "prom-client";
import {
  FORM_CONTENT_TYPE,
  type InboundEvent,
  JSON_CONTENT_TYPE,
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

  // Every body reaches the route raw (providers sign the bytes they sent); the route says which
  // media types it takes. A JSON body that is not JSON is malformed whichever route it reached.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (req, body, done) => {
    if (mediaTypeOf(req.headers["content-type"]) === JSON_CONTENT_TYPE) {
      try {
        JSON.parse(String(body));
      } catch {
        done(Object.assign(new Error("the body is not valid JSON"), { statusCode: 400 }), undefined);
        return;
      }
    }
    done(null, body);
  });

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
      app.post(path, (req, res) => serveWebhook(o, log, gw, route, path, req, res));
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

/** "Application/JSON; charset=utf-8" -> "application/json"; undefined without a header. */
function mediaTypeOf(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(";")[0]?.trim().toLowerCase() || undefined;
}

/**
 * One webhook request: its media type must be one the route accepts (415 otherwise), the route
 * verifies and parses it (403 / 400), and it is answered only once its events are enqueued.
 */
async function serveWebhook(
  o: HttpServerOptions,
  log: Logger,
  gw: WebhookGateway,
  route: WebhookRoute,
  path: string,
  req: FastifyRequest,
  res: FastifyReply,
): Promise<FastifyReply> {
  const send = (status: number, type: string, body: string) => {
    o.onRequest?.(gw.id, route.path, status);
    return res.code(status).type(type).send(body);
  };
  const mediaType = mediaTypeOf(req.headers["content-type"]);
  if (typeof req.body !== "string" || mediaType === undefined || !route.accepts.includes(mediaType)) {
    return send(415, "text/plain", `expected ${route.accepts.join(" or ")}\n`);
  }
  const q = req.url.indexOf("?");
  const publicUrl = `${o.publicUrl}${path}${q === -1 ? "" : req.url.slice(q)}`;
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(",") : v;
  const form = mediaType === FORM_CONTENT_TYPE ? { form: parseForm(req.body) } : {};
  let handled: Awaited<ReturnType<WebhookRoute["handle"]>>;
  try {
    handled = await route.handle({ publicUrl, headers, rawBody: req.body, ...form });
  } catch (err) {
    const about = { gateway: gw.id, route: route.path, reason: (err as Error).message };
    if (err instanceof WebhookAuthError) {
      log.warn(about, "webhook refused: bad signature");
      return send(403, "text/plain", "forbidden\n");
    }
    if (err instanceof WebhookInputError) {
      log.warn(about, "webhook refused: malformed");
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
