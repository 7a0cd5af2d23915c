/**
 * Where one part of an outbound job stands, as the part ledger (store/sent-parts.ts) found it
 * when this attempt claimed it. A part is "in flight" (a claim unique to one attempt) while its
 * provider request runs, then holds the provider's id.
 */
import { randomUUID } from "node:crypto";

export type PartState =
  /** Ours to send: nobody sent it or is sending it. */
  | { readonly kind: "claimed" }
  /** An earlier attempt sent it and recorded the provider's id. */
  | { readonly kind: "sent"; readonly providerMessageId: string }
  /** An earlier attempt died while its request was with the provider: it may have been sent. */
  | { readonly kind: "in-flight"; readonly claim: string };

export const CLAIMED: PartState = { kind: "claimed" };

const IN_FLIGHT = "in-flight";

/** A claim value, unique to one attempt at one part. */
export function newClaim(): string {
  return `${IN_FLIGHT}:${randomUUID()}`;
}

/** Whether a value stored for a part is a claim (in flight) rather than a provider id. */
export function isClaim(value: string): boolean {
  return value.startsWith(IN_FLIGHT);
}
