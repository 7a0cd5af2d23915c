/**
 * The webhook server's limits: Node's HTTP timeouts (headers, whole request, idle socket,
 * keep-alive), a connection cap, and load shedding with @fastify/under-pressure: while the event
 * loop lags more than `maxEventLoopDelayMs`, requests are answered 503 with Retry-After before
 * their body is read. Providers retry a 5xx webhook, so nothing is lost; /healthz is never shed
 * (a lagging process is alive, and restarting it would lose more).
 */

import type http from "node:http";
import underPressure from "@fastify/under-pressure";
import type { FastifyHttpOptions, FastifyInstance } from "fastify";
import type { Logger } from "../core/logger.js";

export interface WebhookServerLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** 0: no limit. */
  readonly maxRequestsPerSocket: number;
  readonly maxConnections: number;
  /** 0: no load shedding. */
  readonly maxEventLoopDelayMs: number;
  readonly retryAfterSeconds: number;
  /** How often the event loop delay is sampled (default 1 s; tests make it short). */
  readonly pressureSampleIntervalMs?: number;
}

/** Fastify's own options for the timeouts it passes to Node's HTTP server. */
export function fastifyLimitOptions(l: WebhookServerLimits): FastifyHttpOptions<http.Server> {
  const headersTimeout = Math.min(l.headersTimeoutMs, l.requestTimeoutMs);
  return {
    requestTimeout: l.requestTimeoutMs,
    connectionTimeout: l.idleTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    maxRequestsPerSocket: l.maxRequestsPerSocket,
    // Node checks the request and headers timeouts every connectionsCheckingInterval (30 s by
    // default), which would let a slow client stay up to 30 s longer than configured.
    http: { headersTimeout, connectionsCheckingInterval: Math.min(1_000, headersTimeout) },
  };
}

/** The connection cap and load shedding; call before the routes are added. */
export function applyLimits(app: FastifyInstance, l: WebhookServerLimits, log: Logger): void {
  app.server.maxConnections = l.maxConnections;
  let lastDropLog = 0;
  app.server.on("drop", () => {
    if (Date.now() - lastDropLog < 10_000) return;
    lastDropLog = Date.now();
    log.warn({ maxConnections: l.maxConnections }, "webhook connections over the cap are refused");
  });
  if (l.maxEventLoopDelayMs === 0) return;
  let lastShedLog = 0;
  void app.register(underPressure, {
    maxEventLoopDelay: l.maxEventLoopDelayMs,
    retryAfter: l.retryAfterSeconds,
    ...(l.pressureSampleIntervalMs === undefined ? {} : { sampleInterval: l.pressureSampleIntervalMs }),
    pressureHandler: (req, reply, type, value) => {
      if (req.routeOptions.url === "/healthz") return;
      if (Date.now() - lastShedLog >= 10_000) {
        lastShedLog = Date.now();
        log.warn({ type, value, url: req.routeOptions.url }, "overloaded: webhooks answered 503 for now");
      }
      void reply
        .code(503)
        .header("retry-after", String(l.retryAfterSeconds))
        .type("text/plain")
        .send("overloaded; retry later\n");
    },
  });
}
