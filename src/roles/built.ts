/**
 * What main.ts builds once per process and every role start-up module receives: the config, the
 * logger and metrics, the Redis clients and the stores on them, and the order things stop in.
 */
import type { Redis } from "ioredis";
import type { LoadedConfig } from "../config/load.js";
import type { IntakeLag } from "../core/intake-lag.js";
import type { Contacts, MessageLog, OptOuts, PartLedger, SendPacer } from "../core/ports.js";
import type { RateLimiter } from "../core/rate-limits.js";
import type { RegistrationStore } from "../core/registrations.js";
import type { ThreadLog } from "../core/threads.js";
import type { GatewayLogger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { Producer } from "../queue/producer.js";

/** Stopped in this order: webhooks (providers retry), components, workers, then adapters. */
export class Stoppers {
  readonly http: (() => Promise<void>)[] = [];
  readonly components: (() => Promise<void>)[] = [];
  readonly workers: (() => Promise<void>)[] = [];
  readonly adapters: (() => Promise<void>)[] = [];
  /** What to take down again when start-up fails half-way (in reverse). */
  readonly undo: (() => Promise<void>)[] = [];

  all(): (() => Promise<void>)[] {
    return [...this.http, ...this.components, ...this.workers, ...this.adapters];
  }
}

export interface Built {
  readonly config: LoadedConfig;
  readonly logger: GatewayLogger;
  readonly metrics: Metrics;
  /** BullMQ's queues and the admin view (maxRetriesPerRequest 3). */
  readonly redis: Redis;
  /** BullMQ's workers and what must wait for Redis (maxRetriesPerRequest null). */
  readonly workerRedis: Redis;
  /** The stores' own commands and pipelines. */
  readonly storeRedis: Redis;
  readonly registrations: RegistrationStore;
  readonly producer: Producer;
  readonly messageMap: MessageLog;
  readonly optOuts: OptOuts;
  readonly limiter: RateLimiter;
  /** Pacing per sender number, shared by every worker process. */
  readonly pacer: SendPacer;
  readonly sentParts: PartLedger;
  readonly contacts: Contacts;
  /** Reply threading state handed to adapters (AdapterDeps.threads). */
  readonly threads: ThreadLog;
  readonly stoppers: Stoppers;
  /** This process's outbound intake lag: the worker here sends fewer at once while it is behind. */
  readonly intakeLag: IntakeLag;
}
