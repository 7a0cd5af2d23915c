/**
 * The per-part state machine of an outbound job. What Redis holds for a part (store/sent-parts.ts)
 * is nothing, a claim (`in-flight:<uuid>`, unique to one attempt) while the provider request
 * runs, or the provider's id once it accepted. What one attempt leaves for the next (attempt
 * notes, per claim) says what became of a claim it could not clear:
 *   "never-sent"   its request was never made (the store failed before it, or while taking the
 *                  claim back): the next attempt takes the claim over and sends;
 *   "sent:<id>"    the provider accepted it, the id was not recorded (the store failed right
 *                  after): the next attempt records the id instead of calling the part uncertain.
 * A crash leaves no note, so its claim still counts as "may have been sent" (never resent).
 *
 * Transitions, as an attempt claims a part (claim):
 *   free                          -> claimed (ours)          SET NX
 *   our own claim (a replayed SET) -> claimed                 the claim script
 *   a claim noted never-sent      -> claimed (taken over)    the claim script, atomically
 *   a claim noted sent:<id>       -> accepted: record <id>   the claim script
 *   a claim without a note        -> in-flight (uncertain)   the claim script
 *   a provider id                 -> sent (skipped)          the claim script
 * and afterwards: claimed -> sent (recordSent), claimed -> free (release, the request failed).
 * `stateOf` is the script's verdict on a taken part; `notesAfterFailure` what a failed attempt
 * leaves. Both are unit-tested per transition (test/unit/pipeline/part-state.test.ts).
 */
import { randomUUID } from "node:crypto";

export type PartState =
  /** Ours to send: nobody sent it or is sending it. */
  | { readonly kind: "claimed" }
  /** An earlier attempt sent it and recorded the provider's id. */
  | { readonly kind: "sent"; readonly providerMessageId: string }
  /** An earlier attempt sent it and could not record the id: record it, do not resend. */
  | { readonly kind: "accepted"; readonly claim: string; readonly providerMessageId: string }
  /** An earlier attempt died while its request was with the provider: it may have been sent. */
  | { readonly kind: "in-flight"; readonly claim: string };

export const CLAIMED: PartState = { kind: "claimed" };

const IN_FLIGHT = "in-flight";
export const NEVER_SENT = "never-sent";
const SENT = "sent:";

/** A claim value, unique to one attempt at one part. */
export function newClaim(): string {
  return `${IN_FLIGHT}:${randomUUID()}`;
}

/** Whether a value stored for a part is a claim (in flight) rather than a provider id. */
export function isClaim(value: string): boolean {
  return value.startsWith(IN_FLIGHT);
}

/**
 * Where a part stands that another attempt holds: `stored` is its value (undefined: gone
 * meanwhile, expired or released), `note` what that attempt left for its claim.
 */
export function stateOf(stored: string | undefined, note: string | undefined): PartState {
  // Gone meanwhile: assume in flight rather than risk a second send.
  if (stored === undefined) return { kind: "in-flight", claim: IN_FLIGHT };
  if (!isClaim(stored)) return { kind: "sent", providerMessageId: stored };
  if (note?.startsWith(SENT))
    return { kind: "accepted", claim: stored, providerMessageId: note.slice(SENT.length) };
  return { kind: "in-flight", claim: stored };
}

/** What an attempt knows about its parts when it fails. */
export interface AttemptEnd {
  /** The claim it holds (or was taking) on a part it did not hand to the provider. */
  readonly unsent?: { readonly claim: string; readonly confirmed: boolean; readonly released: boolean };
  /** A part the provider accepted whose id is not recorded. */
  readonly accepted?: { readonly claim: string; readonly providerMessageId: string };
}

/** Claim -> note, for the next attempt (empty when there is nothing to say). */
export function notesAfterFailure(end: AttemptEnd): Map<string, string> {
  const notes = new Map<string, string>();
  // Released: nothing of it is in flight any more. Unconfirmed: the store may have kept it.
  if (end.unsent && !end.unsent.released) notes.set(end.unsent.claim, NEVER_SENT);
  if (end.accepted) notes.set(end.accepted.claim, `${SENT}${end.accepted.providerMessageId}`);
  return notes;
}
