/**
 * Delivery reports -> stanzas for the user: "delivered" becomes a XEP-0184 receipt when the user
 * asked for one (once every part of the message is delivered), a failure an error stanza with the
 * original id (once per message). Shared by the ingester (reports for known ids) and the outbound
 * worker (reports that arrived before the worker recorded the message id).
 */
import { z } from "zod";
import type { InboundStatusEvent } from "../core/adapter.js";
import type { MessageMap, SentRecord } from "../store/message-map.js";
import { conditionSchema, deliveryErrorJobId, receiptJobId } from "./jobs.js";
import type { Producer } from "./producer.js";

export type StatusOutcome = "receipt" | "error" | "delivered" | "partial" | "unknown" | "early";

/** How long a report for an id not (yet) recorded is kept for the worker to pick up. */
export const EARLY_REPORT_TTL_SECONDS = 600;

export const earlyReportSchema = z
  .object({
    kind: z.literal("status"),
    providerMessageId: z.string(),
    status: z.enum(["delivered", "failed"]),
    reason: z.string().optional(),
    errorCode: z.string().optional(),
    condition: conditionSchema.optional(),
  })
  .strict();

export interface ReportDeps {
  readonly gatewayId: string;
  readonly producer: Producer;
  readonly messageMap: MessageMap;
}

export async function applyReport(
  d: ReportDeps,
  record: SentRecord,
  event: InboundStatusEvent,
): Promise<StatusOutcome> {
  if (event.status === "delivered") {
    if (!record.receipt || record.stanzaId === undefined) return "delivered";
    const delivered = await d.messageMap.markDelivered(d.gatewayId, record.jobId, event.providerMessageId);
    if (delivered < record.parts) return "partial";
    await d.producer.enqueueToXmpp(
      d.gatewayId,
      {
        kind: "receipt",
        to: record.senderJid,
        contactLocalpart: record.contactLocalpart,
        stanzaId: record.stanzaId,
      },
      receiptJobId(record.jobId),
    );
    return "receipt";
  }
  const reason = event.reason ?? "the network reports the message as not delivered";
  await d.producer.enqueueToXmpp(
    d.gatewayId,
    {
      kind: "error",
      to: record.senderJid,
      contactLocalpart: record.contactLocalpart,
      ...(record.contactResource === undefined ? {} : { contactResource: record.contactResource }),
      stanzaId: record.stanzaId,
      condition: event.condition ?? "recipient-unavailable",
      text: `The message was not delivered: ${reason}.`,
    },
    deliveryErrorJobId(record.jobId),
  );
  return "error";
}

/** A report for an id the map does not hold: kept for the worker, or applied if the record just appeared. */
export async function holdOrApply(d: ReportDeps, event: InboundStatusEvent): Promise<StatusOutcome> {
  await d.messageMap.holdEarly(d.gatewayId, event.providerMessageId, event, EARLY_REPORT_TTL_SECONDS);
  const record = await d.messageMap.get(d.gatewayId, event.providerMessageId);
  if (!record) return "unknown";
  // The worker recorded it meanwhile: whoever takes the held report applies it (exactly one side).
  return (await takeAndApply(d, record, event.providerMessageId)) ?? "early";
}

/** Applies a held report for `providerMessageId`, if there is one (called after recording it). */
export async function takeAndApply(
  d: ReportDeps,
  record: SentRecord,
  providerMessageId: string,
): Promise<StatusOutcome | undefined> {
  return applyTaken(d, record, await d.messageMap.takeEarly(d.gatewayId, providerMessageId));
}

/** Applies a report already taken with `takeEarly` (or `takeEarlyIn`), if it is one. */
export async function applyTaken(
  d: ReportDeps,
  record: SentRecord,
  taken: unknown,
): Promise<StatusOutcome | undefined> {
  const held = earlyReportSchema.safeParse(taken);
  if (!held.success) return undefined;
  return applyReport(d, record, held.data);
}
