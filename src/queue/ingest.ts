/**
 * Inbound events from a provider (webhooks, or the simulator) into the to-xmpp queue, with job ids
 * derived from upstream ids so a redelivery is delivered once:
 * - messages: job id from the provider's message id; STOP / START (the provider's flag or the
 *   keywords) are recorded as opt-outs of the sender from the number they wrote to;
 * - delivery reports: mapped back to the user's stanza through the message map; "delivered"
 *   becomes a XEP-0184 receipt when the user asked for one (once every part is delivered), a
 *   failure becomes an error stanza (once per message). Reports for unknown ids are acknowledged
 *   and counted, and kept for a few minutes in case the worker has not recorded the id yet (a fast
 *   failure report can beat it).
 */
import type { InboundEvent, InboundStatusEvent } from "../core/adapter.js";
import type { Logger } from "../core/logger.js";
import { optOutKeyword } from "../core/optout.js";
import type { MessageMap } from "../store/message-map.js";
import type { OptOutStore } from "../store/optouts.js";
import { inboundJobId } from "./jobs.js";
import type { EnqueueOutcome, Producer } from "./producer.js";
import { applyReport, holdOrApply, type StatusOutcome } from "./reports.js";

export type { StatusOutcome } from "./reports.js";

export interface IngestOptions {
  readonly gatewayId: string;
  readonly producer: Producer;
  readonly logger: Logger;
  readonly messageMap: MessageMap;
  readonly optOuts: OptOutStore;
  readonly onOutcome?: (outcome: EnqueueOutcome | "status") => void;
  readonly onStatus?: (outcome: StatusOutcome) => void;
  /** Seconds from the part's send to this report (reports of recorded parts only). */
  readonly onReportDelay?: (seconds: number, status: "delivered" | "failed") => void;
}

export function inboundIngester(o: IngestOptions) {
  const { gatewayId, producer } = o;
  const log = o.logger.child({ gateway: gatewayId });

  const status = async (event: InboundStatusEvent): Promise<StatusOutcome> => {
    const record = await o.messageMap.get(gatewayId, event.providerMessageId);
    if (event.status === "failed") {
      // The operator hears of every failed delivery, not only the sender.
      log.warn(
        {
          providerMessageId: event.providerMessageId,
          errorCode: event.errorCode,
          sender: record?.senderJid,
          reason: event.reason,
        },
        `delivery failed${event.errorCode === undefined ? "" : ` (${event.errorCode})`}: ${event.reason ?? "no reason given"}`,
      );
    }
    if (record?.sentAt !== undefined) o.onReportDelay?.((Date.now() - record.sentAt) / 1000, event.status);
    if (record) return applyReport(o, record, event);
    const outcome = await holdOrApply(o, event);
    if (outcome === "unknown") {
      log.info(
        { providerMessageId: event.providerMessageId, status: event.status },
        "delivery report for a message id not (yet) recorded: acknowledged and kept for a while",
      );
    }
    return outcome;
  };

  return async (events: InboundEvent[]): Promise<void> => {
    for (const event of events) {
      if (event.kind === "message") {
        const optOut = event.optOut ?? optOutKeyword(event.body);
        if (optOut === "stop") {
          await o.optOuts.record(gatewayId, event.to, event.from, "inbound");
          log.info({ ours: event.to, theirs: event.from }, "recipient opted out (STOP)");
        } else if (optOut === "start") {
          if (await o.optOuts.clear(gatewayId, event.to, event.from)) {
            log.info({ ours: event.to, theirs: event.from }, "recipient opted back in (START)");
          }
        }
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
        o.onOutcome?.(outcome);
      } else {
        const outcome = await status(event);
        log.debug(
          { providerMessageId: event.providerMessageId, status: event.status, outcome },
          "delivery report",
        );
        o.onOutcome?.("status");
        o.onStatus?.(outcome);
      }
    }
  };
}
