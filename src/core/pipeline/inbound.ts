/**
 * Inbound events from a provider (webhooks, or the simulator) into the to-xmpp queue, with job ids
 * derived from upstream ids so a redelivery is delivered once:
 * - messages: job id from the provider's message id; STOP / START (the provider's flag or the
 *   keywords) of a new message (not a duplicate) are recorded as opt-outs of the sender from the
 *   number they wrote to, unless a newer opt-out event is stored;
 * - delivery reports: mapped back to the user's stanza through the message map; "delivered"
 *   becomes a XEP-0184 receipt when the user asked for one (once every part is delivered), a
 *   failure becomes an error stanza (once per message). Reports for unknown ids are acknowledged
 *   and counted, and kept for a few minutes in case the worker has not recorded the id yet (a fast
 *   failure report can beat it). A report applies only to a message sent with the account that
 *   signed it (`signedBy`); others are acknowledged, counted ("wrong-account") and dropped.
 */
import {
  type InboundEvent,
  type InboundMessageEvent,
  type InboundStatusEvent,
  MAX_SENDER_NAME_LENGTH,
  MAX_SUBJECT_LENGTH,
} from "../adapter.js";
import type { Logger } from "../logger.js";
import type { Enqueue, EnqueueOutcome, MessageLog, OptOuts } from "../ports.js";
import { inboundJobId } from "./jobs.js";
import type { NetworkRules } from "./network-rules.js";
import { applyReport, holdOrApply, type StatusOutcome } from "./reports.js";

export type { StatusOutcome } from "./reports.js";

export interface IngestOptions {
  readonly gatewayId: string;
  readonly producer: Enqueue;
  readonly logger: Logger;
  readonly messageMap: MessageLog;
  readonly optOuts: OptOuts;
  /** The network's rules (the opt-out keywords): rulesFor(adapter); required, so none is forgotten. */
  readonly network: NetworkRules;
  /** Reports for ids not (yet) recorded held per self-service account (default 1,000 per 10 min). */
  readonly earlyReportsPerAccount?: number;
  readonly onOutcome?: (outcome: EnqueueOutcome | "status") => void;
  readonly onStatus?: (outcome: StatusOutcome) => void;
  /** Seconds from the part's send to this report (reports of recorded parts only). */
  readonly onReportDelay?: (seconds: number, status: "delivered" | "failed") => void;
}

interface Ingest extends IngestOptions {
  readonly log: Logger;
}

export function inboundIngester(options: IngestOptions): (events: InboundEvent[]) => Promise<void> {
  const o: Ingest = {
    ...options,
    log: options.logger.child({ gateway: options.gatewayId }),
  };
  return async (events) => {
    for (const event of events) {
      if (event.kind === "message") {
        const outcome = await inboundMessage(o, event);
        o.log.debug({ providerMessageId: event.providerMessageId, outcome }, "inbound message");
        o.onOutcome?.(outcome);
      } else {
        const outcome = await statusReport(o, event);
        o.log.debug(
          { providerMessageId: event.providerMessageId, status: event.status, outcome },
          "delivery report",
        );
        o.onOutcome?.("status");
        o.onStatus?.(outcome);
      }
    }
  };
}

async function inboundMessage(o: Ingest, event: InboundMessageEvent): Promise<EnqueueOutcome> {
  const arrivedAt = Date.now();
  const outcome = await o.producer.enqueueToXmpp(
    o.gatewayId,
    {
      kind: "message",
      providerMessageId: event.providerMessageId,
      from: event.from,
      to: event.to,
      body: event.body,
      mediaUrls: [...event.mediaUrls],
      ...extras(event),
    },
    inboundJobId(event.providerMessageId),
  );
  // After the job exists: a webhook redelivered because this failed is a duplicate and
  // changes nothing; the provider's own opt-out list (Twilio 21610) still stops sends.
  if (outcome === "enqueued") await optOut(o, event, arrivedAt);
  return outcome;
}

/** The event's subject and sender name, cut to what a job carries; empty ones left out. */
function extras(event: InboundMessageEvent): { subject?: string; senderName?: string } {
  const subject = event.subject?.trim().slice(0, MAX_SUBJECT_LENGTH);
  const senderName = event.senderName?.trim().slice(0, MAX_SENDER_NAME_LENGTH);
  return { ...(subject ? { subject } : {}), ...(senderName ? { senderName } : {}) };
}

/**
 * STOP / START of a new event (never of a duplicate: a replayed old START must not reopen
 * sending), applied only if newer than what is stored. The provider's own event time when it
 * gives one (never in the future), else when the webhook arrived.
 */
async function optOut(o: Ingest, event: InboundMessageEvent, arrivedAt: number): Promise<void> {
  const action = event.optOut ?? o.network.optOutKeyword(event.body);
  if (action === undefined) return;
  const at = Math.min(event.occurredAt ?? arrivedAt, arrivedAt);
  const applied = await o.optOuts.apply(o.gatewayId, event.to, event.from, action, at, "inbound");
  const pair = { ours: event.to, theirs: event.from };
  if (applied === "stale") o.log.info(pair, `an older ${action.toUpperCase()} than the stored one: ignored`);
  else if (action === "stop") o.log.info(pair, "recipient opted out (STOP)");
  else o.log.info(pair, "recipient opted in (START)");
}

async function statusReport(o: Ingest, event: InboundStatusEvent): Promise<StatusOutcome> {
  const record = await o.messageMap.get(o.gatewayId, event.providerMessageId);
  const outcome = record ? await applyReport(o, record, event) : await holdOrApply(o, event);
  const about = { providerMessageId: event.providerMessageId, status: event.status };
  if (record && outcome !== "wrong-account") {
    if (record.sentAt !== undefined) o.onReportDelay?.((Date.now() - record.sentAt) / 1000, event.status);
    if (event.status === "failed") {
      // The operator hears of every failed delivery, not only the sender.
      o.log.warn(
        { ...about, errorCode: event.errorCode, sender: record.senderJid, reason: event.reason },
        `delivery failed${event.errorCode === undefined ? "" : ` (${event.errorCode})`}: ${event.reason ?? "no reason given"}`,
      );
    }
  }
  if (outcome === "unknown") {
    o.log.info(
      about,
      "delivery report for a message id not (yet) recorded: acknowledged and kept for a while",
    );
  } else if (outcome === "wrong-account") {
    o.log.warn(about, "delivery report signed by another account than the message was sent with: dropped");
  } else if (outcome === "dropped") {
    o.log.warn(
      about,
      "delivery report for a message id not recorded, from an account holding many such reports already: dropped",
    );
  }
  return outcome;
}
