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

  async known(gatewayId: string, jid: string, address: string): Promise<boolean> {
    return (await this.redis.hexists(this.key(gatewayId, jid), address)) === 1;
  }

  async remember(gatewayId: string, jid: string, address: string): Promise<void> {
    await this.redis.hset(this.key(gatewayId, jid), address, String(Date.now()));
  }
}
