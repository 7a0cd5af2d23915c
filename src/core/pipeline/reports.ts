/**
 * Delivery reports -> stanzas for the user: "delivered" becomes a XEP-0184 receipt when the user
 * asked for one (once every part of the message is delivered), a failure an error stanza with the
 * original id (once per message). Shared by the inbound side (reports for known ids) and the
 * outbound side (reports that arrived before the worker recorded the message id).
 */
import type { InboundStatusEvent } from "../adapter.js";
import type { Enqueue, MessageLog } from "../ports.js";
import { deliveryErrorJobId, receiptJobId } from "./jobs.js";
import { earlyReportSchema, type SentRecord } from "./records.js";

/**
 * "wrong-account": signed by another account than the one the message was sent with (dropped);
 * "dropped": for an id not recorded (yet), but its signer holds too many such reports already.
 */
export type StatusOutcome =
  | "receipt"
  | "error"
  | "delivered"
  | "partial"
  | "unknown"
  | "early"
  | "wrong-account"
  | "dropped";

/** How long a report for an id not (yet) recorded is kept for the worker to pick up. */
export const EARLY_REPORT_TTL_SECONDS = 600;

/**
 * How many reports for ids not (yet) recorded one self-service account may have held per
 * EARLY_REPORT_TTL_SECONDS. A genuine one exists only for the moment between the provider's
 * answer and the worker's write, so a few per account at a time; a user signing made-up ids with
 * her own token is held to this many keys. The gateway's own account is not capped: its token is
 * the operator's (and the number of self-service signers is bounded by the registrations).
 */
export const EARLY_REPORTS_PER_ACCOUNT = 1000;

export interface ReportDeps {
  readonly gatewayId: string;
  readonly producer: Pick<Enqueue, "enqueueToXmpp">;
  readonly messageMap: MessageLog;
  /** Early reports held per self-service signer (default EARLY_REPORTS_PER_ACCOUNT). */
  readonly earlyReportsPerAccount?: number;
}

export async function applyReport(
  d: ReportDeps,
  record: SentRecord,
  event: InboundStatusEvent,
): Promise<StatusOutcome> {
  // Only the account that sent the message may report on it (absent on both: the gateway's own).
  if (event.signedBy !== record.account) return "wrong-account";
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
  const limit =
    event.signedBy === undefined
      ? undefined
      : { signer: event.signedBy, max: d.earlyReportsPerAccount ?? EARLY_REPORTS_PER_ACCOUNT };
  const held = await d.messageMap.holdEarly(
    d.gatewayId,
    event.providerMessageId,
    event,
    EARLY_REPORT_TTL_SECONDS,
    limit,
  );
  const record = await d.messageMap.get(d.gatewayId, event.providerMessageId);
  if (!held) return record ? applyReport(d, record, event) : "dropped";
  if (!record) return "unknown";
  // Another account's message: its report stays held until it expires (never taken).
  if (record.account !== event.signedBy) return "wrong-account";
  // The worker recorded it meanwhile: whoever takes the held report applies it (exactly one side).
  return (await takeAndApply(d, record, event.providerMessageId)) ?? "early";
}

/** Applies a report held for `providerMessageId` by the record's own account, if there is one. */
export async function takeAndApply(
  d: ReportDeps,
  record: SentRecord,
  providerMessageId: string,
): Promise<StatusOutcome | undefined> {
  return applyTaken(d, record, await d.messageMap.takeEarly(d.gatewayId, providerMessageId, record.account));
}

/** Applies a report already taken with `takeEarly` (or by PartLedger.recordSent), if it is one. */
export async function applyTaken(
  d: ReportDeps,
  record: SentRecord,
  taken: unknown,
): Promise<StatusOutcome | undefined> {
  const held = earlyReportSchema.safeParse(taken);
  if (!held.success) return undefined;
  return applyReport(d, record, held.data);
}
