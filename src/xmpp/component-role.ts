/**
 * The component role of one gateway: holds the XMPP connection, takes users' message stanzas in
 * (outbound-intake.ts) and writes deliveries out (delivery-worker.ts).
 */
import type { Redis } from "ioredis";
import type { NetworkAdapter } from "../core/adapter.js";
import type { Logger } from "../core/logger.js";
import type { RegistrationStore } from "../core/registrations.js";
import type { Producer } from "../queue/producer.js";
import { startDeliveryWorker } from "./delivery-worker.js";
import { outboundIntake } from "./outbound-intake.js";
import type { XmppTransport } from "./transport.js";

export interface ComponentRoleOptions {
  readonly gatewayId: string;
  readonly transport: XmppTransport;
  readonly adapter: NetworkAdapter;
  readonly producer: Producer;
  readonly registrations: RegistrationStore;
  readonly allowedDomains: ReadonlySet<string>;
  /** A connection with maxRetriesPerRequest: null, for the delivery worker. */
  readonly workerRedis: Redis;
  readonly prefix: string;
  readonly logger: Logger;
  readonly onOutbound?: (outcome: "enqueued" | "duplicate" | "refused") => void;
  readonly onInbound?: (outcome: "delivered" | "unroutable") => void;
}

export interface ComponentRole {
  stop(): Promise<void>;
}

export function startComponentRole(o: ComponentRoleOptions): ComponentRole {
  const { transport } = o;
  const logger = o.logger.child({ gateway: o.gatewayId, role: "component" });
  const onMessage = outboundIntake({ ...o, logger });
  transport.on("stanza", (el) => {
    if (el.name === "message") void onMessage(el);
  });

  const delivery = startDeliveryWorker({ ...o, logger });
  return { stop: () => delivery.stop() };
}
