/** Queue names and BullMQ prefixes (one hash tag per installation, so Redis Cluster works). */
import { hashTagPrefix } from "../core/key-names.js";

export const outboundQueueName = (gatewayId: string): string => `outbound-${gatewayId}`;
export const toXmppQueueName = (gatewayId: string): string => `to-xmpp-${gatewayId}`;
export const bullPrefix = (prefix: string): string => hashTagPrefix(prefix);
