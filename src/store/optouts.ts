/**
 * Opt-outs per sending number: recipient R replied STOP to our number N (or the provider said so,
 * Twilio 21610), so nothing is sent from N to R until R opts back in (START). One hash per
 * (gateway, our number), field = their number, value checked with zod.
 */
import type { ChainableCommander, Redis } from "ioredis";
import { z } from "zod";
import { type BatchReplies, replyAt } from "./batch.js";
import { storeKey } from "./keys.js";

const optOutSchema = z
  .object({
    at: z.number().int(),
    /** How it was learnt: an inbound keyword / provider flag, or a provider refusal. */
    source: z.enum(["inbound", "provider-error"]),
  })
  .strict();
export type OptOut = z.infer<typeof optOutSchema>;

export class OptOutStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async record(
    gatewayId: string,
    ourNumber: string,
    theirNumber: string,
    source: OptOut["source"],
  ): Promise<void> {
    const value: OptOut = { at: Date.now(), source };
    await this.redis.hset(this.key(gatewayId, ourNumber), theirNumber, JSON.stringify(value));
  }

  /** Returns true when an opt-out was removed. */
  async clear(gatewayId: string, ourNumber: string, theirNumber: string): Promise<boolean> {
    return (await this.redis.hdel(this.key(gatewayId, ourNumber), theirNumber)) > 0;
  }

  async get(gatewayId: string, ourNumber: string, theirNumber: string): Promise<OptOut | undefined> {
    return readOptOut(await this.redis.hget(this.key(gatewayId, ourNumber), theirNumber));
  }

  /** `get`, queued on `batch` (see `BatchReplies`). */
  getIn(
    batch: ChainableCommander,
    gatewayId: string,
    ourNumber: string,
    theirNumber: string,
  ): (replies: BatchReplies) => OptOut | undefined {
    const at = batch.length;
    batch.hget(this.key(gatewayId, ourNumber), theirNumber);
    return (replies) => readOptOut(replyAt(replies, at));
  }

  private key(gatewayId: string, ourNumber: string): string {
    return storeKey(this.prefix, "optout", gatewayId, ourNumber);
  }
}

function readOptOut(raw: unknown): OptOut | undefined {
  if (raw === null || raw === undefined) return undefined;
  try {
    const parsed = optOutSchema.safeParse(JSON.parse(String(raw)));
    // An unreadable record still means "opted out": never send to someone who may have said STOP.
    return parsed.success ? parsed.data : { at: 0, source: "inbound" };
  } catch {
    return { at: 0, source: "inbound" };
  }
}
