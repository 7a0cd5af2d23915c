/**
 * Which network contacts each user has already heard from, so the first message from a number
 * can carry a nickname (XEP-0172). One Redis hash per user; it grows with the user's contacts.
 */
import type { Redis } from "ioredis";
import { storeKey } from "./keys.js";

export class ContactBook {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(gatewayId: string, jid: string): string {
    return storeKey(this.prefix, "contacts", gatewayId, jid);
  }

  /**
   * Records that `jid` heard from `address`; true the first time. One round trip (HSETNX) on
   * every inbound message. Marked before the delivery is written, so a delivery retried after a
   * failed write goes out without the nickname: cosmetic, and cheaper than a second call.
   */
  async firstTime(gatewayId: string, jid: string, address: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.key(gatewayId, jid), address, String(Date.now()))) === 1;
  }
}
