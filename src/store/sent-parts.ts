/**
 * The part ledger (core/ports.ts PartLedger): the send state of each part of an outbound job,
 * "in flight" (with a claim unique to the attempt) while the provider request runs, then the
 * provider's id (core/pipeline/part-state.ts). A retried job skips recorded parts and does not
 * resend one that was in flight when its attempt died.
 *
 * Shape: `{prefix}:sent:<gateway>:<job id>:<part>` = the claim (`in-flight:<uuid>`) or the
 * provider's id, with the dedup TTL.
 *
 * Each call is one round trip: the opt-out check rides with the first claim, the message log's
 * record and early report with the id (one pipeline over the stores' `...In` methods, batch.ts).
 */
import type { ChainableCommander, Redis } from "ioredis";
import { CLAIMED, isClaim, type PartState } from "../core/pipeline/part-state.js";
import type { SentRecord } from "../core/pipeline/records.js";
import type { JobKey, PartLedger } from "../core/ports.js";
import { type BatchReplies, replyAt } from "./batch.js";
import { storeKey } from "./keys.js";
import type { MessageMap } from "./message-map.js";
import type { OptOutStore } from "./optouts.js";

export class SentParts implements PartLedger {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    private readonly optOuts: OptOutStore,
    private readonly messageMap: MessageMap,
  ) {}

  async open(
    job: JobKey & { readonly from: string; readonly to: string },
    claim: string,
    abandoned: readonly string[],
  ): Promise<{ optedOut: boolean; state: PartState }> {
    const batch = this.redis.pipeline();
    const optedOut = this.optOuts.getIn(batch, job.gatewayId, job.from, job.to);
    const claimed = this.claimIn(batch, job, 0, claim, abandoned);
    const replies = await batch.exec();
    const state = await claimed(replies);
    return { optedOut: optedOut(replies) !== undefined, state };
  }

  async claim(job: JobKey, part: number, claim: string, abandoned: readonly string[]): Promise<PartState> {
    const batch = this.redis.pipeline();
    const read = this.claimIn(batch, job, part, claim, abandoned);
    return read(await batch.exec());
  }

  async release(job: JobKey, part: number): Promise<void> {
    await this.redis.del(this.key(job, part));
  }

  async recordSent(
    job: JobKey,
    part: number,
    providerMessageId: string,
    record: SentRecord,
  ): Promise<{ early: unknown; confirm(): void }> {
    const batch = this.redis.pipeline();
    const at = batch.length;
    batch.set(this.key(job, part), providerMessageId, "EX", this.ttlSeconds);
    const mapped = this.messageMap.putIn(batch, job.gatewayId, providerMessageId, record);
    const early = this.messageMap.takeEarlyIn(batch, job.gatewayId, providerMessageId, record.account);
    const replies = await batch.exec();
    return {
      early: early(replies),
      confirm: () => {
        replyAt(replies, at);
        mapped(replies);
      },
    };
  }

  /**
   * Queues the claim of a part on `batch`. Reading the replies costs one more round trip only
   * when the claim failed (a retried job), to see what the earlier attempt left.
   *
   * `claim` is unique per attempt: when Redis fails after storing it but before answering, the
   * client replays the SET, and finding our own claim then is not a crashed earlier attempt.
   * `abandoned` are claims earlier attempts reported as never sent (their Redis round trip failed
   * before the request, and they could not take the claim back): a part holding one is ours.
   */
  private claimIn(
    batch: ChainableCommander,
    job: JobKey,
    part: number,
    claim: string,
    abandoned: readonly string[],
  ): (replies: BatchReplies) => Promise<PartState> {
    const key = this.key(job, part);
    const at = batch.length;
    batch.set(key, claim, "EX", this.ttlSeconds, "NX");
    return async (replies) => {
      if (replyAt(replies, at) !== null) return CLAIMED;
      // Gone meanwhile (expired or released): assume in flight rather than risk a second send.
      const current = (await this.redis.get(key)) ?? "in-flight";
      if (current === claim) return CLAIMED;
      if (abandoned.includes(current)) {
        // Ours now: a crash from here on must find this attempt's claim, not the abandoned one.
        await this.redis.set(key, claim, "EX", this.ttlSeconds);
        return CLAIMED;
      }
      if (isClaim(current)) return { kind: "in-flight", claim: current };
      return { kind: "sent", providerMessageId: current };
    };
  }

  private key(job: JobKey, part: number): string {
    return storeKey(this.prefix, "sent", job.gatewayId, job.jobId, String(part));
  }
}
