/** Prometheus metrics (prom-client), served on /metrics by the HTTP role. */
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "xgw_" });
  return {
    registry,
    outbound: new Counter({
      name: "xgw_outbound_messages_total",
      help: "Outbound messages by gateway and outcome (enqueued, refused, sent, failed, retried)",
      labelNames: ["gateway", "outcome"] as const,
      registers: [registry],
    }),
    inbound: new Counter({
      name: "xgw_inbound_messages_total",
      help: "Inbound messages by gateway and outcome (enqueued, duplicate, delivered, unroutable)",
      labelNames: ["gateway", "outcome"] as const,
      registers: [registry],
    }),
    webhooks: new Counter({
      name: "xgw_webhook_requests_total",
      help: "Webhook requests by gateway, route and HTTP status",
      labelNames: ["gateway", "route", "status"] as const,
      registers: [registry],
    }),
    deliveryReports: new Counter({
      name: "xgw_delivery_reports_total",
      help: "Provider delivery reports by gateway and outcome (receipt, error, delivered, partial, unknown)",
      labelNames: ["gateway", "outcome"] as const,
      registers: [registry],
    }),
    outboundLimited: new Counter({
      name: "xgw_outbound_limited_total",
      help: "Outbound messages refused by a limit, by gateway and limit (body-length, parts, segments, destination, messages-per-minute, messages-per-day, segments-per-minute, segments-per-day)",
      labelNames: ["gateway", "limit"] as const,
      registers: [registry],
    }),
    registrationChecksLimited: new Counter({
      name: "xgw_registration_checks_limited_total",
      help: "Self-service registration attempts refused because the user made too many, by gateway",
      labelNames: ["gateway"] as const,
      registers: [registry],
    }),
    xmppOnline: new Gauge({
      name: "xgw_xmpp_online",
      help: "1 while the component connection of the gateway is online",
      labelNames: ["gateway"] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
