/**
 * The component role of one gateway: holds the XMPP connection, takes users' message stanzas in
 * (outbound-intake.ts), writes deliveries out (delivery-worker.ts) and answers everything else
 * (disco, registration, commands, presence: features.ts).
 */
import type { Redis } from "ioredis";
import type { NetworkAdapter } from "../core/adapter.js";
import type { RegistrationMode } from "../core/enrolment.js";
import type { Logger } from "../core/logger.js";
import type { MediaPolicy } from "../core/media.js";
import type { MessageRules } from "../core/message-cost.js";
import type { RegistrationChecks, SendLimits } from "../core/rate-limits.js";
import type { RegistrationStore } from "../core/registrations.js";
import { QueueAdmin } from "../queue/admin.js";
import type { Producer } from "../queue/producer.js";
import type { ComponentTransport } from "./component-transport.js";
import { startDeliveryWorker } from "./delivery-worker.js";
import { startFeatures } from "./features.js";
import { outboundIntake } from "./outbound-intake.js";

export interface ComponentRoleOptions {
  readonly gatewayId: string;
  readonly transport: ComponentTransport;
  readonly adapter: NetworkAdapter;
  /** Shown in service discovery (default: the domain). */
  readonly name?: string;
  /** Bare JIDs allowed to run the admin commands. */
  readonly admins?: ReadonlySet<string>;
  readonly registrationMode?: RegistrationMode;
  /** For the admin queue commands (a normal connection); without it they are not offered. */
  readonly redis?: Redis;
  readonly producer: Producer;
  readonly registrations: RegistrationStore;
  readonly allowedDomains: ReadonlySet<string>;
  /** A connection with maxRetriesPerRequest: null, for the delivery worker. */
  readonly workerRedis: Redis;
  readonly prefix: string;
  readonly logger: Logger;
  readonly onOutbound?: (outcome: "enqueued" | "duplicate" | "refused") => void;
  /** Where outbound media URLs may point. */
  readonly mediaPolicy?: MediaPolicy;
  readonly onInbound?: (outcome: "delivered" | "unroutable") => void;
  /** Per-message rules and caps, per-user limits and the destination policy, checked at intake. */
  readonly rules: MessageRules;
  readonly sendLimits?: SendLimits;
  readonly checkDestination?: (address: string) => void;
  /** How often a user may have a self-service registration checked with the provider. */
  readonly registrationChecks?: RegistrationChecks;
  /** Told which limit refused a message or a registration (the metric). */
  readonly onLimited?: (limit: string) => void;
  /** For the delivery worker: how soon a crashed process's deliveries are retried. */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
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

  const queues = o.redis ? new QueueAdmin(o.redis, o.prefix, [o.gatewayId]) : undefined;
  const features = startFeatures({
    ...o,
    logger,
    name: o.name ?? transport.domain,
    admins: o.admins ?? new Set(),
    mode: o.registrationMode ?? "provisioned",
    ...(queues ? { queues } : {}),
  });

  const delivery = startDeliveryWorker({ ...o, logger });
  return {
    async stop() {
      // Unavailable presence goes out while the stream is still open (the transport closes after).
      await features.stop();
      await delivery.stop();
      await queues?.close();
    },
  };
}
