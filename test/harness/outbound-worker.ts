/**
 * The outbound worker as tests start it: the options the worker took before its stores were
 * built by main.ts, put together the way main.ts does (src/roles/worker.ts).
 */
import type { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { NetworkAdapter } from "../../src/core/adapter.js";
import type { Logger } from "../../src/core/logger.js";
import type { MessageCaps } from "../../src/core/message-cost.js";
import type { AccountResolver } from "../../src/core/own-accounts.js";
import type { OutboundOutcome } from "../../src/core/pipeline/send.js";
import type { Producer } from "../../src/queue/producer.js";
import { startWorker } from "../../src/roles/worker.js";
import type { MessageMap } from "../../src/store/message-map.js";
import type { OptOutStore } from "../../src/store/optouts.js";
import { SentParts } from "../../src/store/sent-parts.js";

export interface TestWorkerOptions {
  readonly gatewayId: string;
  readonly adapter: NetworkAdapter;
  readonly redis: Redis;
  /** The connection of the worker's own bookkeeping; default `redis`. */
  readonly store?: Redis;
  readonly producer: Producer;
  readonly logger: Logger;
  readonly prefix: string;
  readonly concurrency: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly dedupTtlSeconds: number;
  readonly messageMap: MessageMap;
  readonly optOuts: OptOutStore;
  readonly longMessages: "split" | "refuse";
  readonly corrections: "send" | "refuse";
  readonly caps: MessageCaps;
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  readonly statusCallbackUrl?: string;
  readonly accounts?: AccountResolver;
  readonly onOutcome?: (outcome: OutboundOutcome) => void;
}

export function startOutboundWorker(o: TestWorkerOptions): Worker {
  const parts = new SentParts(
    o.store ?? o.redis,
    o.prefix,
    o.dedupTtlSeconds,
    o.optOuts,
    o.messageMap,
    o.redis,
  );
  return startWorker({
    ...o,
    workerRedis: o.redis,
    parts,
    rules: { caps: o.caps, longMessages: o.longMessages, corrections: o.corrections },
  });
}
