/**
 * The outbound worker: takes send jobs of one gateway and hands them to its adapter.
 * Permanent errors and exhausted retries become an error stanza for the sender (via the to-xmpp
 * queue, so it survives a component that is offline), and the job stays in the failed set.
 */
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { NetworkAdapter } from "../core/adapter.js";
import { Refusal, type RefusalCondition, RetryableError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { storeKey } from "../store/keys.js";
import { errorJobId, type OutboundJob, outboundJobSchema } from "./jobs.js";
import { bullPrefix, outboundQueueName } from "./names.js";
import type { Producer } from "./producer.js";
import { backoffStrategy } from "./retry.js";

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
  /** Where the provider posts delivery reports, or undefined when it has none. */
  readonly statusCallbackUrl?: string;
  readonly onOutcome?: (outcome: "sent" | "failed" | "retried") => void;
}

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

  const process = async (job: Job): Promise<{ providerMessageId: string }> => {
    const parsed = outboundJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed job: ${parsed.error.message}`);
    const data = parsed.data;
    // A job retried after a crash (stalled) must not send twice: the provider id is recorded
    // before the job completes, and checked here.
    const sentKey = storeKey(o.prefix, "sent", o.gatewayId, job.id ?? "");
    const already = await o.redis.get(sentKey);
    if (already) return { providerMessageId: already };
    try {
      const result = await o.adapter.send(
        {
          to: data.to,
          from: data.from,
          body: data.body,
          mediaUrls: data.mediaUrls,
          statusCallbackUrl: o.statusCallbackUrl,
          messageId: job.id ?? "",
        },
        { number: data.from },
      );
      await o.redis.set(sentKey, result.providerMessageId, "EX", o.dedupTtlSeconds);
      log.info({ jobId: job.id, providerMessageId: result.providerMessageId }, "message sent");
      o.onOutcome?.("sent");
      return result;
    } catch (err) {
      if (err instanceof Refusal) {
        log.warn(
          { jobId: job.id, condition: err.condition, reason: err.message },
          "provider refused the message",
        );
        await refuse(job, data, err.condition, err.message);
        o.onOutcome?.("failed");
        throw new UnrecoverableError(err.message);
      }
      const attempts = job.opts.attempts ?? 1;
      const reason = err instanceof Error ? err.message : String(err);
      if (job.attemptsMade + 1 >= attempts) {
        log.error({ jobId: job.id, attempts, reason }, "giving up after the last attempt");
        await refuse(
          job,
          data,
          "remote-server-timeout",
          `The message could not be handed to ${o.adapter.kind} after ${attempts} attempts (${reason}).`,
        );
        o.onOutcome?.("failed");
      } else {
        log.warn({ jobId: job.id, attempt: job.attemptsMade + 1, reason }, "send failed, will retry");
        o.onOutcome?.("retried");
      }
      throw err instanceof RetryableError ? err : new RetryableError(reason);
    }
  };

  const worker = new Worker(outboundQueueName(o.gatewayId), process, {
    connection: o.redis,
    prefix: bullPrefix(o.prefix),
    concurrency: o.concurrency,
    settings: { backoffStrategy: backoffStrategy({ baseMs: o.backoffMs, maxMs: o.maxBackoffMs }) },
  });
  worker.on("error", (err) => log.error({ err: { message: err.message } }, "outbound worker error"));
  return worker;
}
