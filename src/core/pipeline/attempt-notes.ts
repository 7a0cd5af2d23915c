/**
 * What a failed attempt of an outbound job knows about its parts and leaves for the next attempt,
 * appended to its error message (BullMQ keeps it as the job's failedReason, which any worker
 * process reads with the job):
 * - never sent: claims whose part was not handed to the provider (Redis failed before the
 *   request, or while the claim was being taken back): the next attempt may take them and send;
 * - sent: claims whose part the provider accepted but whose id could not be recorded (Redis
 *   failed right after): the next attempt records the id instead of calling the part uncertain.
 * A crash leaves no note, so its leftover claim still counts as "may have been sent".
 */

export interface AttemptNotes {
  readonly neverSent: readonly string[];
  /** Claim -> the provider's id for that part. */
  readonly sent: ReadonlyMap<string, string>;
}

const CLAIM = "in-flight:[0-9a-f-]+";
const NEVER_SENT = new RegExp(`\\[never sent: ((?:${CLAIM} ?)+)\\]`);
const SENT = new RegExp(`\\[sent: ((?:${CLAIM}=\\S+ ?)+)\\]`);

export function readNotes(failedReason: string | undefined): AttemptNotes {
  const text = failedReason ?? "";
  const neverSent = NEVER_SENT.exec(text)?.[1]?.trim().split(" ") ?? [];
  const sent = new Map<string, string>();
  for (const pair of SENT.exec(text)?.[1]?.trim().split(" ") ?? []) {
    const at = pair.indexOf("=");
    sent.set(pair.slice(0, at), decodeURIComponent(pair.slice(at + 1)));
  }
  return { neverSent, sent };
}

/** The text to append to the error ("" when there is nothing to say). */
export function writeNotes(notes: AttemptNotes): string {
  const neverSent = [...new Set(notes.neverSent)];
  const sent = [...notes.sent].map(([claim, id]) => `${claim}=${encodeURIComponent(id)}`);
  return [
    neverSent.length > 0 ? ` [never sent: ${neverSent.join(" ")}]` : "",
    sent.length > 0 ? ` [sent: ${sent.join(" ")}]` : "",
  ].join("");
}
