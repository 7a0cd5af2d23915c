/**
 * Prometheus metrics (prom-client), served on /metrics by the internal listener
 * (http.internalListen). Names follow Prometheus conventions: the process and Node.js defaults
 * unprefixed (process_cpu_seconds_total, nodejs_heap_size_used_bytes, ... as stock dashboards
 * expect), the gateway's own under xgw_, durations in seconds, counters ending in _total.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { IntakeLagSignal } from "../core/intake-lag.js";

/** Jobs per queue and state, as BullMQ counts them. */
export type QueueCounts = Record<string, Record<string, number>>;

export interface MetricsOptions {
  readonly version: string;
  /** Read on scrape (at most once per `queueCacheMs`): job counts per queue and state. */
  readonly queueCounts?: () => Promise<QueueCounts>;
  readonly queueCacheMs?: number;
}

/** Provider requests: from a few ms (a stand-in) to the 15 s request timeout. */
const SEND_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20];
/** Stanza read to job acknowledged: a millisecond to seconds (Redis slow or the process saturated). */
const INTAKE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Send to delivery report: seconds to hours (a phone that is off). */
const REPORT_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 14400];

export function createMetrics(o: MetricsOptions = { version: "0.0.0" }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const buildInfo = new Gauge({
    name: "xgw_build_info",
    help: "Always 1; the labels name the gateway's version and the Node.js version",
    labelNames: ["version", "node"] as const,
    registers: [registry],
  });
  buildInfo.set({ version: o.version, node: process.version }, 1);
  if (o.queueCounts) queueGauge(registry, o.queueCounts, o.queueCacheMs ?? 5000);
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
      help: "1 while the component connection of the gateway to the XMPP server is online, else 0",
      labelNames: ["gateway"] as const,
      registers: [registry],
    }),
    sendDuration: new Histogram({
      name: "xgw_provider_send_duration_seconds",
      help: "Duration of one provider send request, by gateway and outcome (accepted, refused, failed)",
      labelNames: ["gateway", "outcome"] as const,
      buckets: SEND_BUCKETS,
      registers: [registry],
    }),
    intakeDuration: new Histogram({
      name: "xgw_outbound_intake_seconds",
      help: "Time from a message stanza read from the XMPP server to its job acknowledged in Redis, by gateway: a gateway that dies in this time loses the stanza (XEP-0114 has no acknowledgements)",
      labelNames: ["gateway"] as const,
      buckets: INTAKE_BUCKETS,
      registers: [registry],
    }),
    intakeBehind: behindCounter(registry),
    reportDelay: new Histogram({
      name: "xgw_delivery_report_delay_seconds",
      help: "Time from a part's send to its delivery report, by gateway and status (delivered, failed)",
      labelNames: ["gateway", "status"] as const,
      buckets: REPORT_BUCKETS,
      registers: [registry],
    }),
  };
}

/**
 * xgw_outbound_intake_behind_seconds_total: the time this process's outbound intake was behind
 * (core/intake-lag.ts), a spell under way counted in on scrape. `follow` attaches the lag.
 */
function behindCounter(registry: Registry) {
  let done = 0;
  let since: number | undefined;
  new Counter({
    name: "xgw_outbound_intake_behind_seconds_total",
    help: "Seconds this process's outbound intake was behind (a stanza waited over 20 ms for its enqueue); the worker in the process meanwhile sends at most 10 at once",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(done + (since === undefined ? 0 : (Date.now() - since) / 1000));
    },
  });
  return {
    follow<T extends IntakeLagSignal>(lag: T): T {
      lag.onChange((behind) => {
        if (behind) since = Date.now();
        else if (since !== undefined) {
          done += (Date.now() - since) / 1000;
          since = undefined;
        }
      });
      return lag;
    },
  };
}

/** xgw_queue_jobs{queue,state}: collected on scrape, from a short cache so scrapes stay cheap. */
function queueGauge(registry: Registry, read: () => Promise<QueueCounts>, cacheMs: number): void {
  let cached: { at: number; counts: Promise<QueueCounts> } | undefined;
  new Gauge({
    name: "xgw_queue_jobs",
    help: "Jobs per queue and state (waiting, active, delayed, failed, completed, paused)",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      if (!cached || Date.now() - cached.at >= cacheMs) {
        cached = { at: Date.now(), counts: read() };
      }
      let counts: QueueCounts;
      try {
        counts = await cached.counts;
      } catch {
        // Redis away: no series this scrape (a stale count would look healthy).
        cached = undefined;
        this.reset();
        return;
      }
      this.reset();
      for (const [queue, states] of Object.entries(counts)) {
        for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
      }
    },
  });
}

export type Metrics = ReturnType<typeof createMetrics>;
