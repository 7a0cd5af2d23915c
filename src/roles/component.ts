/**
 * The component role of one gateway, put together from pieces main.ts built: the XMPP side
 * (xmpp/component-role.ts: intake, features) and the to-xmpp worker (queue/delivery-worker.ts)
 * that runs the pipeline's deliverer (core/pipeline/deliver.ts) into the XMPP outlet.
 */
import type { Redis } from "ioredis";
import { deliverer } from "../core/pipeline/deliver.js";
import type { NetworkRules } from "../core/pipeline/network-rules.js";
import type { Contacts } from "../core/ports.js";
import { startDeliveryWorker } from "../queue/delivery-worker.js";
import { type ComponentRole, type ComponentRoleOptions, startComponentRole } from "../xmpp/component-role.js";
import { xmppOutlet } from "../xmpp/xmpp-outlet.js";

export interface ComponentPieces extends ComponentRoleOptions {
  readonly network: NetworkRules;
  readonly contacts: Contacts;
  /** A connection with maxRetriesPerRequest: null, for the delivery worker. */
  readonly workerRedis: Redis;
  readonly prefix: string;
  readonly onInbound?: (outcome: "delivered" | "unroutable") => void;
  /** Deliveries in flight at once (queue.deliveryConcurrency). */
  readonly deliveryConcurrency?: number;
  /** For the delivery worker: how soon a crashed process's deliveries are retried. */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
}

export function startComponent(p: ComponentPieces): ComponentRole {
  const logger = p.logger.child({ gateway: p.gatewayId, role: "component" });
  const xmpp = startComponentRole({ ...p, logger });
  const delivery = startDeliveryWorker({
    gatewayId: p.gatewayId,
    link: p.transport,
    deliver: deliverer({ ...p, logger, outlet: xmppOutlet(p.transport) }),
    workerRedis: p.workerRedis,
    prefix: p.prefix,
    logger,
    ...(p.deliveryConcurrency === undefined ? {} : { concurrency: p.deliveryConcurrency }),
    ...(p.lockDurationMs === undefined ? {} : { lockDurationMs: p.lockDurationMs }),
    ...(p.stalledIntervalMs === undefined ? {} : { stalledIntervalMs: p.stalledIntervalMs }),
  });
  return {
    async stop() {
      await xmpp.stop();
      await delivery.stop();
      await p.queues?.close();
    },
  };
}
