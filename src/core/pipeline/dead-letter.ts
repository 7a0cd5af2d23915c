/**
 * What a failed outbound job keeps. A job that failed for good (refused by a rule, the provider or
 * an opt-out; malformed) keeps what an operator needs to recognise it: ids, sender, recipient,
 * reason, the body's length and its first KEPT_BODY_CHARS characters, not a body of up to the
 * stanza size limit. Such a job cannot be replayed (its text is gone): `queue retry` says so, and
 * the worker fails it again without a word to the sender. A job that ran out of attempts on
 * passing faults keeps its whole body: that is the one an operator replays once the fault is gone.
 */
import type { Logger } from "../logger.js";
import { type JobHandle, PermanentFailure } from "../ports.js";
import { type OutboundJob, outboundJobSchema } from "./jobs.js";

/** Characters of a refused message's body kept in its failed job. */
export const KEPT_BODY_CHARS = 200;

/** The first `n` characters of `s`, never ending in half a surrogate pair. */
function head(s: string, n: number): string {
  const cut = s.slice(0, n);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** The data a job refused for good keeps, or undefined when there is nothing to cut. */
export function refusedJobData(data: OutboundJob): OutboundJob | undefined {
  if (data.bodyChars !== undefined || data.body.length <= KEPT_BODY_CHARS) return undefined;
  return { ...data, body: head(data.body, KEPT_BODY_CHARS), bodyChars: data.body.length };
}

/** What a malformed job keeps: its size and the start of its JSON, for the operator to look at. */
export function malformedJobData(raw: unknown): Record<string, unknown> | undefined {
  if (notReplayable(raw) !== undefined) return undefined;
  const json = JSON.stringify(raw) ?? "";
  if (json.length <= KEPT_BODY_CHARS) return undefined;
  return { malformed: true, jsonChars: json.length, jsonStart: head(json, KEPT_BODY_CHARS) };
}

/** Why a job cannot be sent (again), or undefined when it can. */
export function notReplayable(data: unknown): string | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const { bodyChars, malformed } = data as { bodyChars?: unknown; malformed?: unknown };
  if (malformed === true) return "it was malformed; only its start was kept";
  if (typeof bodyChars === "number") {
    return `it was refused and only the first ${KEPT_BODY_CHARS} of its ${bodyChars} characters were kept`;
  }
  return undefined;
}

/** Replaces a failed job's data with what it keeps (logged, never thrown, when Redis says no). */
export async function keepLess(job: JobHandle, kept: object | undefined, log: Logger): Promise<void> {
  if (kept === undefined) return;
  await job.keep(kept).catch((err: Error) => {
    log.warn({ jobId: job.id, reason: err.message }, "refused job keeps its whole body");
  });
}

/**
 * The job's data, checked; a malformed job (which keeps only its start) or one that keeps only the
 * start of its body fails for good with PermanentFailure.
 */
export async function sendableData(job: JobHandle, log: Logger): Promise<OutboundJob> {
  const parsed = outboundJobSchema.safeParse(job.data);
  if (!parsed.success) {
    await keepLess(job, malformedJobData(job.data), log);
    throw new PermanentFailure(`malformed job: ${parsed.error.message}`);
  }
  // The raw data: the schema strips keys it does not know, such as a kept job's `malformed`.
  const notAgain = notReplayable(job.data);
  if (notAgain !== undefined) throw new PermanentFailure(`not sent again: ${notAgain}`);
  return parsed.data;
}
