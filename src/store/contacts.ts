/**
 * Which network contacts each user has already heard from, so the first message from a number
 * can carry a nickname (XEP-0172). One Redis hash per user. The rule is cosmetic, so the hash has
 * a bounded life and size: it expires `ttlSeconds` after the user last heard from a new contact,
 * and a hash that grows past `maxContacts` is started afresh (a contact forgotten this way just
 * gets its nickname once more).
 */
import type { Redis } from "ioredis";
import type { Contacts } from "../core/ports.js";
import { replyAt } from "./batch.js";
import { storeKey } from "./keys.js";
import { TickBatch } from "./tick-batch.js";

/** How many user/contact pairs are remembered in memory as "heard from already". */
const KNOWN_PAIRS = 100_000;

export interface ContactBookLimits {
  readonly ttlSeconds: number;
  readonly maxContacts: number;
}

export const CONTACT_BOOK_LIMITS: ContactBookLimits = { ttlSeconds: 90 * 24 * 3600, maxContacts: 10_000 };

export class ContactBook implements Contacts {
  /** Pairs known to be in Redis already, so no need to ask again (bounded: cleared when full). */
  private readonly known = new Set<string>();
  /** First sightings of one event-loop turn share a pipeline (tick-batch.ts). */
  private readonly ticks: TickBatch;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: ContactBookLimits = CONTACT_BOOK_LIMITS,
  ) {
    this.ticks = new TickBatch(redis);
  }

  private key(gatewayId: string, jid: string): string {
    return storeKey(this.prefix, "contacts", gatewayId, jid);
  }

  /**
   * Records that `jid` heard from `address`; true the first time. One round trip (HSETNX, EXPIRE,
   * HLEN, in the pipeline of the turn) the first time this process sees the pair, none after. Marked before the
   * delivery is written, so a delivery retried after a failed write goes out without the
   * nickname: cosmetic, and cheaper than a second call.
   */
  async firstTime(gatewayId: string, jid: string, address: string): Promise<boolean> {
    const pair = `${gatewayId}\n${jid}\n${address}`;
    if (this.known.has(pair)) return false;
    const key = this.key(gatewayId, jid);
    const [set, size] = await this.ticks.run((batch) => {
      const at = batch.length;
      batch.hsetnx(key, address, String(Date.now())).expire(key, this.limits.ttlSeconds).hlen(key);
      return (replies) => [replyAt(replies, at), replies?.[at + 2]?.[1]] as const;
    });
    if (typeof size === "number" && size > this.limits.maxContacts) {
      await this.redis.del(key);
    }
    if (this.known.size >= KNOWN_PAIRS) this.known.clear();
    this.known.add(pair);
    return set === 1;
  }
}
