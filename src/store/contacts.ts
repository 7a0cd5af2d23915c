/**
 * Which network contacts each user has already heard from, so the first message from a number
 * can carry a nickname (XEP-0172). One Redis hash per user; it grows with the user's contacts.
 */
import type { Redis } from "ioredis";
import { storeKey } from "./keys.js";

/** How many user/contact pairs are remembered in memory as "heard from already". */
const KNOWN_PAIRS = 100_000;

export class ContactBook {
  /** Pairs known to be in Redis already: the mark is never removed, so no need to ask again. */
  private readonly known = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(gatewayId: string, jid: string): string {
    return storeKey(this.prefix, "contacts", gatewayId, jid);
  }

  /**
   * Records that `jid` heard from `address`; true the first time. One round trip (HSETNX) the
   * first time this process sees the pair, none after. Marked before the delivery is written, so a
   * delivery retried after a failed write goes out without the nickname: cosmetic, and cheaper
   * than a second call.
   */
  async firstTime(gatewayId: string, jid: string, address: string): Promise<boolean> {
    const pair = `${gatewayId}\n${jid}\n${address}`;
    if (this.known.has(pair)) return false;
    const first = (await this.redis.hsetnx(this.key(gatewayId, jid), address, String(Date.now()))) === 1;
    if (this.known.size >= KNOWN_PAIRS) this.known.clear();
    this.known.add(pair);
    return first;
  }
}
