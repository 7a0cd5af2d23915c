/**
 * Which network contacts each user has already heard from, so the first message from a number
 * can carry a nickname (XEP-0172). One Redis hash per user. The rule is cosmetic, so the hash has
 * a bounded life and size: it expires `ttlSeconds` after the user last heard from a new contact,
 * and a hash that grows past `maxContacts` is started afresh (a contact forgotten this way just
 * gets its nickname once more).
 */
import type { Redis } from "ioredis";
import type { Contacts } from "../core/ports.js";
import { storeKey } from "./keys.js";
import { TurnScript } from "./turn-script.js";

/** How many user/contact pairs are remembered in memory as "heard from already". */
const KNOWN_PAIRS = 100_000;

// One first sighting (turn-script.ts runs a turn's in one call). KEYS: the user's hash. Fields:
// now (ms), TTL (s), the most contacts kept; raw: the contact's address (any text). Returns 1, 0
// when it was new to the hash, else 0, 0. A hash grown past the bound is started afresh.
const FIRST_SIGHTING = `
local key = KEYS[base + 1]
local set = redis.call('HSETNX', key, raw[1], f[1])
redis.call('EXPIRE', key, f[2])
if redis.call('HLEN', key) > tonumber(f[3]) then redis.call('DEL', key) end
return set, 0
`;

export interface ContactBookLimits {
  readonly ttlSeconds: number;
  readonly maxContacts: number;
}

export const CONTACT_BOOK_LIMITS: ContactBookLimits = { ttlSeconds: 90 * 24 * 3600, maxContacts: 10_000 };

export class ContactBook implements Contacts {
  /** Pairs known to be in Redis already, so no need to ask again (bounded: cleared when full). */
  private readonly known = new Set<string>();
  /** First sightings of one event-loop turn share a script call (turn-script.ts). */
  private readonly script: TurnScript;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly limits: ContactBookLimits = CONTACT_BOOK_LIMITS,
  ) {
    this.script = new TurnScript(redis, "contact book", FIRST_SIGHTING, 2);
  }

  private key(gatewayId: string, jid: string): string {
    return storeKey(this.prefix, "contacts", gatewayId, jid);
  }

  /**
   * Records that `jid` heard from `address`; true the first time. One use of the turn's script
   * call (HSETNX, EXPIRE, HLEN and, past the bound, DEL, in Redis) the first time this process
   * sees the pair, none after. Marked before the delivery is written, so a delivery retried after
   * a failed write goes out without the nickname: cosmetic, and cheaper than a second call.
   */
  async firstTime(gatewayId: string, jid: string, address: string): Promise<boolean> {
    const pair = `${gatewayId}\n${jid}\n${address}`;
    if (this.known.has(pair)) return false;
    const [set] = await this.script.run(
      [this.key(gatewayId, jid)],
      [Date.now(), this.limits.ttlSeconds, this.limits.maxContacts],
      [address],
    );
    if (this.known.size >= KNOWN_PAIRS) this.known.clear();
    this.known.add(pair);
    return set === 1;
  }
}
