/**
 * A short-lived in-memory view of the registrations in front of the Redis store, so the intake
 * (one lookup per outbound stanza) and the delivery worker (one per inbound message) do not pay a
 * Redis round trip each. Changes made through this store drop its cached entries at once; changes
 * made by another process (a separate `--role` on the same Redis) are seen within `ttlMs`.
 * Only bindings that exist are cached: a user who has just registered is never refused from a
 * stale "not registered".
 */
import type { Registration, RegistrationStore } from "../core/registrations.js";

const MAX_ENTRIES = 50_000;

interface Entry {
  readonly value: Registration;
  readonly until: number;
}

export class CachedRegistrationStore implements RegistrationStore {
  private readonly jids = new Map<string, Entry>();
  private readonly addresses = new Map<string, Entry>();
  /** Bumped by every change, so a lookup that raced with a change does not cache the old answer. */
  private generation = 0;

  constructor(
    private readonly store: RegistrationStore,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  byJid(gatewayId: string, jid: string): Promise<Registration | undefined> {
    return this.cached(this.jids, `${gatewayId}\n${jid}`, () => this.store.byJid(gatewayId, jid));
  }

  byAddress(gatewayId: string, address: string): Promise<Registration | undefined> {
    return this.cached(this.addresses, `${gatewayId}\n${address}`, () =>
      this.store.byAddress(gatewayId, address),
    );
  }

  async put(gatewayId: string, registration: Registration): Promise<void> {
    this.forget();
    try {
      await this.store.put(gatewayId, registration);
    } finally {
      this.forget();
    }
  }

  async remove(gatewayId: string, jid: string): Promise<boolean> {
    this.forget();
    try {
      return await this.store.remove(gatewayId, jid);
    } finally {
      this.forget();
    }
  }

  list(gatewayId: string): Promise<Registration[]> {
    return this.store.list(gatewayId);
  }

  /** Drops everything (a change can move an address between users: both views go). */
  private forget(): void {
    this.generation++;
    this.jids.clear();
    this.addresses.clear();
  }

  private async cached(
    map: Map<string, Entry>,
    key: string,
    load: () => Promise<Registration | undefined>,
  ): Promise<Registration | undefined> {
    const hit = map.get(key);
    const now = this.now();
    if (hit && hit.until > now) return hit.value;
    if (hit) map.delete(key);
    const generation = this.generation;
    const value = await load();
    if (value !== undefined && generation === this.generation) {
      // Bounded: entries only leave on access, so a crowd of one-off users must not pile up.
      if (map.size >= MAX_ENTRIES) map.clear();
      map.set(key, { value, until: now + this.ttlMs });
    }
    return value;
  }
}
