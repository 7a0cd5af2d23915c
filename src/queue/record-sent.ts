/**
 * What the outbound worker does after the provider accepted a part, in one Redis round trip: the
 * part's id replaces its claim, the message map gets the record, and a delivery report that
 * arrived before the record is taken and applied (only if the account that sent the message
 * signed it; see reports.ts).
 */
import type { Redis } from "ioredis";
import type { Logger } from "../core/logger.js";
import type { SentRecord } from "../store/message-map.js";
import type { SentParts } from "../store/sent-parts.js";
import { applyTaken, type ReportDeps, type StatusOutcome } from "./reports.js";

export interface SentRecorderDeps {
  readonly store: Redis;
  readonly sentParts: SentParts;
  readonly reportDeps: ReportDeps;
  readonly log: Logger;
  readonly onReport?: ((outcome: StatusOutcome) => void) | undefined;
}

export function sentRecorder(d: SentRecorderDeps) {
  const { gatewayId, messageMap } = d.reportDeps;
  return async (part: number, providerMessageId: string, record: SentRecord): Promise<void> => {
    const batch = d.store.pipeline();
    const recorded = d.sentParts.recordIn(batch, gatewayId, record.jobId, part, providerMessageId);
    const mapped = messageMap.putIn(batch, gatewayId, providerMessageId, record);
    const early = messageMap.takeEarlyIn(batch, gatewayId, providerMessageId, record.account);
    const replies = await batch.exec();
    try {
      // Before the checks below: a report taken here is no longer held anywhere else.
      const outcome = await applyTaken(d.reportDeps, record, early(replies));
      if (outcome !== undefined) d.onReport?.(outcome);
      if (outcome === "wrong-account") {
        d.log.warn(
          { jobId: record.jobId, providerMessageId },
          "delivery report signed by another account than the message was sent with: dropped",
        );
      }
    } catch (err) {
      d.log.warn({ jobId: record.jobId, reason: String(err) }, "early delivery report not applied");
    }
    recorded(replies);
    mapped(replies);
  };
}
