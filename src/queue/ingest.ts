/**
 * Inbound events from a provider (webhooks, or the simulator) into the to-xmpp queue, with job ids
 * derived from the provider's message id so a redelivery is delivered once.
 */
import type { InboundEvent } from "../core/adapter.js";
import type { Logger } from "../core/logger.js";
import { inboundJobId } from "./jobs.js";
import type { EnqueueOutcome, Producer } from "./producer.js";

export function inboundIngester(
  gatewayId: string,
  producer: Producer,
  logger: Logger,
  onOutcome?: (outcome: EnqueueOutcome | "status") => void,
) {
  const log = logger.child({ gateway: gatewayId });
  return async (events: InboundEvent[]): Promise<void> => {
    for (const event of events) {
      if (event.kind === "message") {
        const outcome = await producer.enqueueToXmpp(
          gatewayId,
          {
            kind: "message",
            providerMessageId: event.providerMessageId,
            from: event.from,
            to: event.to,
            body: event.body,
            mediaUrls: [...event.mediaUrls],
          },
          inboundJobId(event.providerMessageId),
        );
        log.debug({ providerMessageId: event.providerMessageId, outcome }, "inbound message");
        onOutcome?.(outcome);
      } else {
        // Delivery reports are acknowledged and counted; mapping them to receipts is issue #4.
        log.debug({ providerMessageId: event.providerMessageId, status: event.status }, "delivery report");
        onOutcome?.("status");
      }
    }
  };
}
