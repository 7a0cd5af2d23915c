/**
 * The outbound worker: takes send jobs of one gateway and hands them to its adapter.
 *
 * - Opted-out recipients (STOP) fail fast, without a provider call.
 * - Corrections (XEP-0308) are sent marked as such, or refused, as configured.
 * - A body longer than the provider takes is split into parts sent in order inside this job, or
 *   refused, as configured.
 * - Crash safety: each part's provider id is recorded before the job completes, and a part is
 *   marked "in flight" before its request. A job retried after a crash (stalled) skips parts with
 *   a recorded id, and does not resend a part whose request was in flight when the worker died
 *   (the provider may have accepted it; resending could deliver it twice). Such a part is logged,
 *   counted as "uncertain", and the sender gets an error stanza saying it may not have arrived.
 * - Permanent errors and exhausted retries become an error stanza for the sender (via the to-xmpp
 *   queue, so it survives a component that is offline), and the job stays in the failed set.
 */
import { randomUUID } from "node:crypto";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { NetworkAdapter } from "../core/adapter.js";
import { OptedOutError, Refusal, type RefusalCondition, RetryableError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { optedOutText } from "../core/optout.js";
import { splitText } from "../core/segments.js";
import { storeKey } from "../store/keys.js";
import type { MessageMap, SentRecord } from "../store/message-map.js";
import type { OptOutStore } from "../store/optouts.js";
import { errorJobId, type OutboundJob, outboundJobSchema } from "./jobs.js";
import { bullPrefix, outboundQueueName } from "./names.js";
import type { Producer } from "./producer.js";
import { takeAndApply } from "./reports.js";
import { backoffStrategy } from "./retry.js";

export type OutboundOutcome = "sent" | "failed" | "retried" | "uncertain" | "opted-out";

export interface OutboundWorkerOptions {
  readonly gatewayId: string;
  readonly adapter: NetworkAdapter;
  readonly redis: Redis;
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
  /** BullMQ lock duration and stalled-job check interval (how soon a crashed worker's job is retried). */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  /** Where the provider posts delivery reports, or undefined when it has none. */
  readonly statusCallbackUrl?: string;
  readonly onOutcome?: (outcome: OutboundOutcome) => void;
}

/** What a completed job returns (kept with the completed job). */
export interface OutboundResult {
  /** Provider ids of the parts, in order; "" for a part whose fate is uncertain. */
  readonly providerMessageIds: string[];
  readonly uncertainParts: number;
}

const IN_FLIGHT = "in-flight";
export const CORRECTION_PREFIX = "Correction: ";

export function startOutboundWorker(o: OutboundWorkerOptions): Worker {
  const log = o.logger.child({ gateway: o.gatewayId, role: "worker" });

  const refuse = async (job: Job, data: OutboundJob, condition: RefusalCondition, text: string) => {
    await o.producer.enqueueToXmpp(
      o.gatewayId,
      {
        kind: "error",
        to: data.senderJid,
        contactLocalpart: data.contactLocalpart,
        stanzaId: data.stanzaId,
        condition,
        text,
      },
      errorJobId(job.id ?? ""),
    );
  };

  /** The parts to send, or a Refusal. */
  const partsOf = (data: OutboundJob): string[] => {
    let body = data.body;
    if (data.replaces !== undefined) {
      if (o.corrections === "refuse") {
        throw new Refusal(
          "feature-not-implemented",
          "Corrections cannot be sent as SMS on this gateway: a text message cannot be edited once sent. Send a new message instead.",
        );
      }
      if (body.length > 0) body = `${CORRECTION_PREFIX}${body}`;
    }
    const max = o.adapter.capabilities.maxBodyLength;
    if (body.length <= max) return [body];
    if (o.longMessages === "refuse") {
      throw new Refusal(
        "not-acceptable",
        `The message is ${body.length} characters long; this gateway sends at most ${max} characters per message. Shorten it or send it in several messages.`,
      );
    }
    return splitText(body, max);
  };

  const process = async (job: Job): Promise<OutboundResult> => {
    const parsed = outboundJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed job: ${parsed.error.message}`);
    const data = parsed.data;
    const jobId = job.id ?? "";
    try {
      if (await o.optOuts.get(o.gatewayId, data.from, data.to)) {
        o.onOutcome?.("opted-out");
        throw new OptedOutError(optedOutText(data.to, data.from));
      }
      const parts = partsOf(data);
      const ids: string[] = [];
      let uncertain = 0;
      for (const [i, body] of parts.entries()) {
        const sentKey = storeKey(o.prefix, "sent", o.gatewayId, jobId, String(i));
        // Unique per attempt: when Redis fails after storing the claim but before answering, the
        // client replays the SET; finding our own claim then is not a crashed earlier attempt.
        const claim = `${IN_FLIGHT}:${randomUUID()}`;
        const claimed = await o.redis.set(sentKey, claim, "EX", o.dedupTtlSeconds, "NX");
        const previous = claimed === null ? ((await o.redis.get(sentKey)) ?? IN_FLIGHT) : claim;
        if (previous !== claim) {
          if (previous.startsWith(IN_FLIGHT)) {
            // A previous attempt died while this part was with the provider.
            log.warn(
              { jobId, part: i + 1, parts: parts.length },
              "a crashed attempt may have sent this part already; not resending it",
            );
            o.onOutcome?.("uncertain");
            uncertain++;
            ids.push("");
          } else {
            ids.push(previous);
          }
          continue;
        }
        let providerMessageId: string;
        try {
          const result = await o.adapter.send(
            {
              to: data.to,
              from: data.from,
              body,
              // Media go with the first part.
              mediaUrls: i === 0 ? data.mediaUrls : [],
              statusCallbackUrl: o.statusCallbackUrl,
              messageId: parts.length === 1 ? jobId : `${jobId}-${i + 1}`,
            },
            { number: data.from },
          );
          providerMessageId = result.providerMessageId;
        } catch (err) {
          // The provider answered (or never got it): nothing is in flight any more.
          await o.redis.del(sentKey);
          throw err;
        }
        await o.redis.set(sentKey, providerMessageId, "EX", o.dedupTtlSeconds);
        const record: SentRecord = {
          jobId,
          senderJid: data.senderJid,
          ...(data.stanzaId === undefined ? {} : { stanzaId: data.stanzaId }),
          contactLocalpart: data.contactLocalpart,
          receipt: data.receipt,
          parts: parts.length,
        };
        await o.messageMap.put(o.gatewayId, providerMessageId, record);
        await takeAndApply(
          { gatewayId: o.gatewayId, producer: o.producer, messageMap: o.messageMap },
          record,
          providerMessageId,
        ).catch((err: Error) =>
          log.warn({ jobId, reason: err.message }, "early delivery report not applied"),
        );
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
      if (err instanceof Refusal) {
        if (err instanceof OptedOutError) {
          await o.optOuts.record(o.gatewayId, data.from, data.to, "provider-error").catch(() => undefined);
        }
        log.warn({ jobId, condition: err.condition, reason: err.message }, "message refused");
        await refuse(job, data, err.condition, err.message);
        o.onOutcome?.("failed");
        throw new UnrecoverableError(err.message);
      }
      const attempts = job.opts.attempts ?? 1;
      const reason = err instanceof Error ? err.message : String(err);
      if (job.attemptsMade + 1 >= attempts) {
        log.error({ jobId, attempts, reason }, "giving up after the last attempt");
        await refuse(
          job,
          data,
          "remote-server-timeout",
          `The message could not be handed to ${o.adapter.kind} after ${attempts} attempts (${reason}).`,
        );
        o.onOutcome?.("failed");
      } else {
        log.warn({ jobId, attempt: job.attemptsMade + 1, reason }, "send failed, will retry");
        o.onOutcome?.("retried");
      }
      throw err instanceof RetryableError ? err : new RetryableError(reason);
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
