/**
 * The outbound worker: takes send jobs of one gateway and hands them to its adapter.
 *
 * - Opted-out recipients (STOP) fail fast, without a provider call.
 * - Corrections (XEP-0308) are sent marked as such, or refused, as configured.
 * - A body longer than the provider takes is split into parts sent in order inside this job, or
 *   refused, as configured; a message over the gateway's caps (length, parts, segments) fails.
 * - Crash safety: each part's provider id is recorded before the job completes, and a part is
 *   marked "in flight" before its request. A job retried after a crash (stalled) skips parts with
 *   a recorded id, and does not resend a part whose request was in flight when the worker died
 *   (the provider may have accepted it; resending could deliver it twice). Such a part is logged,
 *   counted as "uncertain", and the sender gets an error stanza saying it may not have arrived.
 *   An attempt that fails knowing more leaves notes for the next one in its error (see
 *   attempt-notes.ts): a claim it never sent is taken and sent; a part the provider accepted
 *   whose id it could not record is recorded, not reported as uncertain.
 * - Redis: two round trips per part on the happy path, each one pipeline: the opt-out check (first
 *   part only) with the claim before the request, and the id, message map record and early
 *   delivery report after it.
 * - A message accepted for the sender's own provider account is sent with it or fails, never with
 *   the gateway's (`accounts`, once per job); the message map names the account (for reports).
 * - Permanent errors and exhausted retries become an error stanza for the sender (via the to-xmpp
 *   queue, so it survives a component that is offline), and the job stays in the failed set.
 */
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { NetworkAdapter } from "../core/adapter.js";
import { OptedOutError, Refusal, type RefusalCondition, RetryableError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { type MessageCaps, type MessageRules, planMessage } from "../core/message-cost.js";
import { optedOutText } from "../core/optout.js";
import { type AccountResolver, accountName, gatewayAccounts, resolveOnce } from "../core/own-accounts.js";
import type { MessageMap, SentRecord } from "../store/message-map.js";
import type { OptOutStore } from "../store/optouts.js";
import { type PartState, SentParts } from "../store/sent-parts.js";
import { readNotes, writeNotes } from "./attempt-notes.js";
import { keepLess, refusedJobData, sendableData } from "./dead-letter.js";
import type { OutboundJob } from "./jobs.js";
import { bullPrefix, outboundQueueName } from "./names.js";
import type { Producer } from "./producer.js";
import { sentRecorder } from "./record-sent.js";
import type { StatusOutcome } from "./reports.js";
import { backoffStrategy } from "./retry.js";
import { givingUpText, tellSender } from "./sender-errors.js";

export type OutboundOutcome = "sent" | "failed" | "retried" | "uncertain" | "opted-out";

export interface OutboundWorkerOptions {
  readonly gatewayId: string;
  readonly adapter: NetworkAdapter;
  /** The BullMQ worker's connection (maxRetriesPerRequest: null). */
  readonly redis: Redis;
  /**
   * The connection for the worker's own bookkeeping; default `redis`. Better one BullMQ does not
   * use: ioredis copies every script defined on a connection into each pipeline made from it.
   */
  readonly store?: Redis;
  readonly producer: Producer;
  readonly logger: Logger;
  readonly prefix: string;
  readonly concurrency: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly dedupTtlSeconds: number;
  readonly messageMap: MessageMap;
  readonly optOuts: OptOutStore;
  readonly longMessages: "split" | "refuse";
  readonly corrections: "send" | "refuse";
  /** What one message may cost; a job over them fails for good, as the intake would refuse it. */
  readonly caps: MessageCaps;
  /** BullMQ lock duration and stalled-job check interval (how soon a crashed worker's job is retried). */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  /** Where the provider posts delivery reports, or undefined when it has none. */
  readonly statusCallbackUrl?: string;
  /** The account each job is sent with (default: the gateway's own for every job). */
  readonly accounts?: AccountResolver;
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

export function startOutboundWorker(o: OutboundWorkerOptions): Worker {
  const log = o.logger.child({ gateway: o.gatewayId, role: "worker" });
  const store = o.store ?? o.redis;
  const sentParts = new SentParts(store, o.prefix, o.dedupTtlSeconds);
  const reportDeps = { gatewayId: o.gatewayId, producer: o.producer, messageMap: o.messageMap };
  const accounts = o.accounts ?? gatewayAccounts;

  const refuse = (job: Job, data: OutboundJob, condition: RefusalCondition, text: string) =>
    tellSender(o.producer, job.id ?? "", data, condition, text);

  /** The parts to send, or a Refusal (the same rules and caps as the intake's). */
  const rules: MessageRules = { caps: o.caps, longMessages: o.longMessages, corrections: o.corrections };
  const partsOf = (data: OutboundJob): string[] =>
    planMessage(data.body, data.replaces, o.adapter.capabilities.maxBodyLength, rules).parts;

  const recordSent = sentRecorder({ store, sentParts, reportDeps, log, onReport: o.onReport });

  const process = async (job: Job): Promise<OutboundResult> => {
    const data = await sendableData(job, log);
    const jobId = job.id ?? "";
    // What the previous attempt, if it failed, knew about its parts (see attempt-notes.ts).
    const previous = readNotes(job.failedReason);
    const abandoned = previous.neverSent;
    /**
     * The part this attempt claimed (or was claiming: `confirmed` false while Redis has not
     * answered) and has not handed to the provider. Released on failure, or named as never sent.
     */
    let unsent: { part: number; claim: string; confirmed: boolean } | undefined;
    /** A part the provider accepted whose id is not recorded yet. */
    let accepted: { claim: string; providerMessageId: string } | undefined;
    const account = resolveOnce(accounts, data);
    const claimed = (state: PartState) => {
      if (unsent && state.kind === "claimed") unsent.confirmed = true;
      else unsent = undefined;
      return state;
    };
    try {
      // One round trip for the opt-out check and the first part's claim.
      const before = store.pipeline();
      const optedOut = o.optOuts.getIn(before, o.gatewayId, data.from, data.to);
      unsent = { part: 0, claim: SentParts.newClaim(), confirmed: false };
      const firstClaim = sentParts.claimIn(before, o.gatewayId, jobId, 0, unsent.claim, abandoned);
      const replies = await before.exec();
      let state = claimed(await firstClaim(replies));
      if (optedOut(replies)) {
        o.onOutcome?.("opted-out");
        throw new OptedOutError(optedOutText(data.to, data.from));
      }
      const parts = partsOf(data);
      const sentWith = data.account === undefined ? (await account()).id : accountName(data.account);
      const record: SentRecord = {
        jobId,
        senderJid: data.senderJid,
        ...(data.stanzaId === undefined ? {} : { stanzaId: data.stanzaId }),
        contactLocalpart: data.contactLocalpart,
        ...(data.contactResource === undefined ? {} : { contactResource: data.contactResource }),
        receipt: data.receipt,
        parts: parts.length,
        ...(sentWith === undefined ? {} : { account: sentWith }),
      };
      const ids: string[] = [];
      let uncertain = 0;
      for (const [i, body] of parts.entries()) {
        if (i > 0) {
          unsent = { part: i, claim: SentParts.newClaim(), confirmed: false };
          state = claimed(await sentParts.claim(o.gatewayId, jobId, i, unsent.claim, abandoned));
        }
        if (state.kind === "sent") {
          ids.push(state.providerMessageId);
          continue;
        }
        const sentBefore = state.kind === "in-flight" ? previous.sent.get(state.claim) : undefined;
        if (sentBefore !== undefined) {
          // The previous attempt sent it and could not record the id: record it now.
          await recordSent(i, sentBefore, record);
          ids.push(sentBefore);
          log.info({ jobId, providerMessageId: sentBefore, part: i + 1 }, "recorded a part sent earlier");
          continue;
        }
        if (state.kind === "in-flight") {
          log.warn(
            { jobId, part: i + 1, parts: parts.length },
            "a crashed attempt may have sent this part already; not resending it",
          );
          o.onOutcome?.("uncertain");
          uncertain++;
          ids.push("");
          continue;
        }
        const { providerMessageId } = await o.adapter.send(
          {
            to: data.to,
            from: data.from,
            body,
            // Media go with the first part.
            mediaUrls: i === 0 ? data.mediaUrls : [],
            statusCallbackUrl: o.statusCallbackUrl,
            messageId: parts.length === 1 ? jobId : `${jobId}-${i + 1}`,
          },
          (await account()).account,
        );
        // Accepted: the claim stays until the id replaces it, even if recording the id fails.
        accepted = { claim: unsent?.claim ?? "", providerMessageId };
        unsent = undefined;
        await recordSent(i, providerMessageId, record);
        accepted = undefined;
        ids.push(providerMessageId);
        log.info({ jobId, providerMessageId, part: i + 1, parts: parts.length }, "message sent");
      }
      if (uncertain > 0) {
        // Neither resent (it could arrive twice) nor silently dropped: the sender hears of it.
        await refuse(
          job,
          data,
          "remote-server-timeout",
          `The gateway restarted while handing this message to ${o.adapter.kind}; it may or may not have been delivered. Send it again if it matters.`,
        );
      }
      o.onOutcome?.("sent");
      return { providerMessageIds: ids, uncertainParts: uncertain };
    } catch (err) {
      // Notes for the next attempt; the previous attempt's are carried on (a stale one no longer
      // matches anything).
      const neverSent = [...abandoned];
      const sent = new Map(previous.sent);
      if (unsent?.confirmed) {
        // The provider refused the part or never got it: nothing of it is in flight any more.
        const { part, claim } = unsent;
        await sentParts.release(o.gatewayId, jobId, part).catch((e: Error) => {
          log.warn({ jobId, reason: e.message }, "claim not released");
          neverSent.push(claim);
        });
      } else if (unsent) {
        // Redis may have stored the claim without answering.
        neverSent.push(unsent.claim);
      }
      if (accepted) sent.set(accepted.claim, accepted.providerMessageId);
      const note = writeNotes({ neverSent, sent });
      if (err instanceof Refusal) {
        if (err instanceof OptedOutError) {
          await o.optOuts.record(o.gatewayId, data.from, data.to, "provider-error").catch(() => undefined);
        }
        log.warn({ jobId, condition: err.condition, reason: err.message }, "message refused");
        await refuse(job, data, err.condition, err.message);
        await keepLess(job, refusedJobData(data), log);
        o.onOutcome?.("failed");
        throw new UnrecoverableError(err.message);
      }
      const attempts = job.opts.attempts ?? 1;
      const reason = err instanceof Error ? err.message : String(err);
      if (job.attemptsMade + 1 >= attempts) {
        log.error({ jobId, attempts, reason }, "giving up after the last attempt");
        await refuse(job, data, "remote-server-timeout", givingUpText(o.adapter.kind, attempts, err));
        o.onOutcome?.("failed");
      } else {
        log.warn({ jobId, attempt: job.attemptsMade + 1, reason }, "send failed, will retry");
        o.onOutcome?.("retried");
      }
      if (note === "" && err instanceof RetryableError) throw err;
      throw new RetryableError(
        `${reason}${note}`,
        err instanceof RetryableError ? err.retryAfterMs : undefined,
        err instanceof RetryableError ? err.providerCode : undefined,
        err instanceof RetryableError ? err.userReason : undefined,
      );
    }
  };

  const worker = new Worker(outboundQueueName(o.gatewayId), process, {
    connection: o.redis,
    prefix: bullPrefix(o.prefix),
    concurrency: o.concurrency,
    ...(o.lockDurationMs === undefined ? {} : { lockDuration: o.lockDurationMs }),
    ...(o.stalledIntervalMs === undefined ? {} : { stalledInterval: o.stalledIntervalMs }),
    settings: { backoffStrategy: backoffStrategy({ baseMs: o.backoffMs, maxMs: o.maxBackoffMs }) },
  });
  worker.on("error", (err) => log.error({ err: { message: err.message } }, "outbound worker error"));
  return worker;
}
