/**
 * The outbound worker's per-part send state: "in flight" (with a claim unique to the attempt)
 * while the provider request runs, then the provider's id. A retried job skips recorded parts and
 * does not resend one that was in flight when its attempt died.
 */
import { randomUUID } from "node:crypto";
import type { ChainableCommander, Redis } from "ioredis";
import { type BatchReplies, replyAt } from "./batch.js";
import { storeKey } from "./keys.js";

const IN_FLIGHT = "in-flight";

/** Where a part of an outbound job stands, as a `SentParts.claimIn` found it. */
export type PartState =
  /** Ours to send: nobody sent it or is sending it. */
  | { readonly kind: "claimed" }
  /** An earlier attempt sent it and recorded the provider's id. */
  | { readonly kind: "sent"; readonly providerMessageId: string }
  /** An earlier attempt died while its request was with the provider: it may have been sent. */
  | { readonly kind: "in-flight"; readonly claim: string };

const CLAIMED: PartState = { kind: "claimed" };

/**
 * The send state of each part of an outbound job: "in flight" (with a claim unique to the
 * attempt) while its provider request runs, then the provider's id. A retried job skips recorded
 * parts and does not resend one that was in flight when its attempt died.
 */
export class SentParts {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  /** A claim value, unique to one attempt at one part. */
  static newClaim(): string {
    return `${IN_FLIGHT}:${randomUUID()}`;
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
  claimIn(
    batch: ChainableCommander,
    gatewayId: string,
    jobId: string,
    part: number,
    claim: string,
    abandoned: readonly string[] = [],
  ): (replies: BatchReplies) => Promise<PartState> {
    const key = this.key(gatewayId, jobId, part);
    const at = batch.length;
    batch.set(key, claim, "EX", this.ttlSeconds, "NX");
    return async (replies) => {
      if (replyAt(replies, at) !== null) return CLAIMED;
      // Gone meanwhile (expired or released): assume in flight rather than risk a second send.
      const current = (await this.redis.get(key)) ?? IN_FLIGHT;
      if (current === claim) return CLAIMED;
      if (abandoned.includes(current)) {
        // Ours now: a crash from here on must find this attempt's claim, not the abandoned one.
        await this.redis.set(key, claim, "EX", this.ttlSeconds);
        return CLAIMED;
      }
      if (current.startsWith(IN_FLIGHT)) return { kind: "in-flight", claim: current };
      return { kind: "sent", providerMessageId: current };
    };
  }

  async claim(
    gatewayId: string,
    jobId: string,
    part: number,
    claim: string,
    abandoned: readonly string[] = [],
  ): Promise<PartState> {
    const batch = this.redis.pipeline();
    const read = this.claimIn(batch, gatewayId, jobId, part, claim, abandoned);
    return read(await batch.exec());
  }

  /** Gives up a claim whose provider request failed or was never made. */
  async release(gatewayId: string, jobId: string, part: number): Promise<void> {
    await this.redis.del(this.key(gatewayId, jobId, part));
  }

  /** Queues replacing the claim with the provider's id, once the provider accepted the part. */
  recordIn(
    batch: ChainableCommander,
    gatewayId: string,
    jobId: string,
    part: number,
    providerMessageId: string,
  ): (replies: BatchReplies) => void {
    const at = batch.length;
    batch.set(this.key(gatewayId, jobId, part), providerMessageId, "EX", this.ttlSeconds);
    return (replies) => void replyAt(replies, at);
  }

  private key(gatewayId: string, jobId: string, part: number): string {
    return storeKey(this.prefix, "sent", gatewayId, jobId, String(part));
  }
}
