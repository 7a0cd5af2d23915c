/**
 * Outbound, the worker's step: one send job of one gateway -> its parts -> the adapter -> the
 * records a delivery report needs (send-attempt.ts runs one attempt).
 *
 * - Opted-out recipients (STOP) fail fast, without a provider call.
 * - Corrections (XEP-0308) are sent marked as such, or refused, as configured.
 * - A body longer than the provider takes is split into parts sent in order inside this job, or
 *   refused, as configured; a message over the gateway's caps (length, parts, segments) fails.
 * - Crash safety: each part's provider id is recorded before the job completes, and a part is
 *   claimed "in flight" before its request (part-state.ts). A job retried after a crash skips
 *   parts with a recorded id, and does not resend a part whose request was in flight when the
 *   worker died (the provider may have accepted it; resending could deliver it twice). Such a
 *   part is logged, counted as "uncertain", and the sender gets an error stanza saying it may
 *   not have arrived. An attempt that fails knowing more leaves notes for the next one in the
 *   part ledger (part-state.ts): a claim it never sent is taken over and sent; a part the
 *   provider accepted whose id it could not record is recorded, not reported as uncertain.
 * - Round trips: two per part on the happy path (PartLedger.open / claim before the request,
 *   recordSent after it), each one pipeline in store/; a paced part 0 books its send slot in the
 *   open, a paced later part takes one more (the pacer) before its request.
 * - A message accepted for the sender's own provider account is sent with it or fails, never with
 *   the gateway's (`accounts`, once per job); the message log names the account (for reports).
 * - Permanent errors and exhausted retries become an error stanza for the sender (via the to-xmpp
 *   queue, so it survives a component that is offline); the job fails for good (PermanentFailure)
 *   or throws a RetryableError for the queue to retry.
 */
import type { NetworkAdapter } from "../adapter.js";
import type { Logger } from "../logger.js";
import type { MessageRules } from "../message-cost.js";
import { type AccountResolver, gatewayAccounts } from "../own-accounts.js";
import type { Enqueue, JobHandle, MessageLog, OptOuts, PartLedger } from "../ports.js";
import { type NetworkRules, rulesFor } from "./network-rules.js";
import type { Pacing } from "./pacing.js";
import type { StatusOutcome } from "./reports.js";
import { SendAttempt } from "./send-attempt.js";

export type OutboundOutcome = "sent" | "failed" | "retried" | "uncertain" | "opted-out";

export interface SendOptions {
  readonly gatewayId: string;
  readonly adapter: NetworkAdapter;
  readonly producer: Pick<Enqueue, "enqueueToXmpp">;
  readonly messageMap: MessageLog;
  readonly parts: PartLedger;
  readonly optOuts: Pick<OptOuts, "record">;
  readonly logger: Logger;
  /** What one message may cost and how long ones and corrections are handled (as at intake). */
  readonly rules: MessageRules;
  /** The network's rules (parts, the opted-out text); default: from the adapter's capabilities. */
  readonly network?: NetworkRules;
  /** Where the provider posts delivery reports, or undefined when it has none. */
  readonly statusCallbackUrl?: string;
  /** The account each job is sent with (default: the gateway's own for every job). */
  readonly accounts?: AccountResolver;
  /** Pacing per sender number (pacing.ts); absent: not paced. */
  readonly pacing?: Pacing;
  readonly onOutcome?: (outcome: OutboundOutcome) => void;
  /** Told the outcome of a delivery report that arrived before its message was recorded. */
  readonly onReport?: (outcome: StatusOutcome) => void;
}

/** What a completed job returns (kept with the completed job). */
export interface OutboundResult {
  /** Provider ids of the parts, in order; "" for a part whose fate is uncertain. */
  readonly providerMessageIds: string[];
  readonly uncertainParts: number;
}

/** The sender the send context is built from once per worker. */
export interface SendContext extends SendOptions {
  readonly log: Logger;
  readonly network: NetworkRules;
  readonly accounts: AccountResolver;
}

/** Sends one job (one attempt of it); see SendAttempt for what it throws. */
export function outboundSender(o: SendOptions): (job: JobHandle) => Promise<OutboundResult> {
  const ctx: SendContext = {
    ...o,
    log: o.logger.child({ gateway: o.gatewayId, role: "worker" }),
    network: o.network ?? rulesFor(o.adapter),
    accounts: o.accounts ?? gatewayAccounts,
  };
  return (job) => SendAttempt.run(ctx, job);
}
