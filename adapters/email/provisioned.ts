/**
 * When the core hands no lookup of its registrations (AdapterDeps.isRegistered): the addresses
 * bound in the gateway's config (`users`), as the listener's RCPT TO check. Reads `address` (the key the
 * network-neutral config uses) or `number` (the SMS-era key), so it works on either.
 */
import { canonicalEmail } from "./address.js";

export interface ConfiguredUser {
  readonly address?: string;
  readonly number?: string;
}

export function configuredAddresses(users: readonly ConfiguredUser[]): (address: string) => Promise<boolean> {
  const known = new Set(users.flatMap((u) => canonicalEmail(u.address ?? u.number ?? "") ?? []));
  return async (address) => known.has(address);
}
