/**
 * One attempt at one outbound job (see send.ts for the rules). It keeps what it knows about its
 * parts while it runs: the claim it holds on a part not handed to the provider yet (`unsent`),
 * and a part the provider accepted whose id is not recorded yet (`accepted`). When it fails,
 * those become notes for the next attempt, kept by the part ledger (part-state.ts).
 */
import { OptedOutError, Refusal, RetryableError } from "../errors.js";
import { accountName, type ResolvedAccount, resolveOnce } from "../own-accounts.js";
import { type JobHandle, NotYet, PermanentFailure } from "../ports.js";
import { keepLess, refusedJobData, sendableData } from "./dead-letter.js";
import type { OutboundJob } from "./jobs.js";
import { awaitSlot, type SlotAnswer } from "./pacing.js";
import type { PartState } from "./part-state.js";
import { newClaim, notesAfterFailure } from "./part-state.js";
import type { SentRecord } from "./records.js";
import { applyTaken } from "./reports.js";
import type { OutboundResult, SendContext } from "./send.js";
import { givingUpText, tellSender } from "./sender-errors.js";

/** The name of part `i`'s send slot (SendPacer.take). */
const slotOf = (jobId: string, i: number) => `${jobId}#${i}`;

export class SendAttempt {
  /** The part this attempt claimed (or was claiming: `confirmed` false while the store has not answered) and has not handed to the provider. */
  private unsent: { part: number; claim: string; confirmed: boolean } | undefined;
  /** A part the provider accepted whose id is not recorded yet. */
  private accepted: { claim: string; providerMessageId: string } | undefined;
  private readonly key: { gatewayId: string; jobId: string };
  private readonly account: () => Promise<ResolvedAccount>;

  private constructor(
    private readonly o: SendContext,
    private readonly job: JobHandle,
    private readonly data: OutboundJob,
  ) {
    this.key = { gatewayId: o.gatewayId, jobId: job.id };
    this.account = resolveOnce(o.accounts, data);
  }

  static async run(o: SendContext, job: JobHandle): Promise<OutboundResult> {
    const data = await sendableData(job, o.log);
    const attempt = new SendAttempt(o, job, data);
    try {
      return await attempt.send();
    } catch (err) {
      throw await attempt.failed(err);
    }
  }

  private async send(): Promise<OutboundResult> {
    const { o, data } = this;
    // One round trip for the opt-out check, the first part's claim and (paced) its send slot.
    this.unsent = { part: 0, claim: newClaim(), confirmed: false };
    const pace = o.pacing?.paceOf(data.from);
    const now = Date.now();
    const slot = pace && { pace, slot: slotOf(this.job.id, 0), now };
    const opened = await o.parts.open({ ...this.key, from: data.from, to: data.to }, this.unsent.claim, slot);
    const firstSlot = opened.slotWait === undefined ? undefined : { at: now, wait: opened.slotWait };
    let state = this.claimed(opened.state);
    if (opened.optedOut) {
      o.onOutcome?.("opted-out");
      throw new OptedOutError(o.network.optedOutText(data.to, data.from));
    }
    const parts = o.network.plan(
      data.body,
      data.replaces,
      o.adapter.capabilities.maxBodyLength,
      o.rules,
    ).parts;
    const record = await this.record(parts.length);
    const ids: string[] = [];
    let uncertain = 0;
    for (const [i, body] of parts.entries()) {
      if (i > 0) {
        this.unsent = { part: i, claim: newClaim(), confirmed: false };
        state = this.claimed(await o.parts.claim(this.key, i, this.unsent.claim));
      }
      const id = await this.part(i, body, parts.length, state, record, i === 0 ? firstSlot : undefined);
      if (id === "") uncertain++;
      ids.push(id);
    }
    if (uncertain > 0) {
      // Neither resent (it could arrive twice) nor silently dropped: the sender hears of it.
      await this.tell(
        "remote-server-timeout",
        `The gateway restarted while handing this message to ${o.adapter.kind}; it may or may not have been delivered. Send it again if it matters.`,
      );
    }
    o.onOutcome?.("sent");
    return { providerMessageIds: ids, uncertainParts: uncertain };
  }

  /** Sends (or skips, or records) part `i`; returns its provider id, "" when its fate is uncertain. */
  private async part(
    i: number,
    body: string,
    n: number,
    state: PartState,
    record: SentRecord,
    slot?: SlotAnswer,
  ): Promise<string> {
    const { o, data, job } = this;
    const jobId = job.id;
    if (state.kind === "sent") return state.providerMessageId;
    if (state.kind === "accepted") {
      // The previous attempt sent it and could not record the id: record it now.
      await this.recordSent(i, state.providerMessageId, record);
      o.log.info(
        { jobId, providerMessageId: state.providerMessageId, part: i + 1 },
        "recorded a part sent earlier",
      );
      return state.providerMessageId;
    }
    if (state.kind === "in-flight") {
      o.log.warn(
        { jobId, part: i + 1, parts: n },
        "a crashed attempt may have sent this part already; not resending it",
      );
      o.onOutcome?.("uncertain");
      return "";
    }
    // Before the request, after the claim: a paced part parks the job and its claim is released.
    await awaitSlot(o.pacing, o.gatewayId, data.from, slotOf(jobId, i), Date.now, slot);
    const { providerMessageId } = await o.adapter.send(
      {
        to: data.to,
        from: data.from,
        body,
        // Media go with the first part.
        mediaUrls: i === 0 ? data.mediaUrls : [],
        statusCallbackUrl: o.statusCallbackUrl,
        messageId: n === 1 ? jobId : `${jobId}-${i + 1}`,
        ...(data.subject === undefined ? {} : { subject: data.subject }),
        ...(data.senderName === undefined ? {} : { senderName: data.senderName }),
      },
      (await this.account()).account,
    );
    // Accepted: the claim stays until the id replaces it, even if recording the id fails.
    this.accepted = { claim: this.unsent?.claim ?? "", providerMessageId };
    this.unsent = undefined;
    await this.recordSent(i, providerMessageId, record);
    this.accepted = undefined;
    o.log.info({ jobId, providerMessageId, part: i + 1, parts: n }, "message sent");
    return providerMessageId;
  }

  private claimed(state: PartState): PartState {
    if (this.unsent && state.kind === "claimed") this.unsent.confirmed = true;
    else this.unsent = undefined;
    return state;
  }

  /** What the message log keeps for each part. */
  private async record(parts: number): Promise<SentRecord> {
    const { data } = this;
    const sentWith = data.account === undefined ? (await this.account()).id : accountName(data.account);
    return {
      jobId: this.job.id,
      senderJid: data.senderJid,
      ...(data.stanzaId === undefined ? {} : { stanzaId: data.stanzaId }),
      contactLocalpart: data.contactLocalpart,
      ...(data.contactResource === undefined ? {} : { contactResource: data.contactResource }),
      receipt: data.receipt,
      parts,
      ...(sentWith === undefined ? {} : { account: sentWith }),
    };
  }

  /** The id, the record and an early report, in one round trip; the early report is applied first. */
  private async recordSent(part: number, providerMessageId: string, record: SentRecord): Promise<void> {
    const { o } = this;
    const written = await o.parts.recordSent(this.key, part, providerMessageId, record);
    try {
      // Before the check below: a report taken here is no longer held anywhere else.
      const outcome = await applyTaken(o, record, written.early);
      if (outcome !== undefined) o.onReport?.(outcome);
      if (outcome === "wrong-account") {
        o.log.warn(
          { jobId: record.jobId, providerMessageId },
          "delivery report signed by another account than the message was sent with: dropped",
        );
      }
    } catch (err) {
      o.log.warn({ jobId: record.jobId, reason: String(err) }, "early delivery report not applied");
    }
    written.confirm();
  }

  private tell(condition: Refusal["condition"], text: string): Promise<void> {
    return tellSender(this.o.producer, this.job.id, this.data, condition, text);
  }

  /** Leaves what this attempt knows for the next one (part-state.ts); never throws. */
  private async leaveNotes(): Promise<void> {
    const { o, job, unsent, accepted } = this;
    let released = false;
    if (unsent?.confirmed) {
      // The provider refused the part or never got it: nothing of it is in flight any more.
      released = await o.parts.release(this.key, unsent.part).then(
        () => true,
        (e: Error) => {
          o.log.warn({ jobId: job.id, reason: e.message }, "claim not released");
          return false;
        },
      );
    }
    const notes = notesAfterFailure({
      ...(unsent ? { unsent: { claim: unsent.claim, confirmed: unsent.confirmed, released } } : {}),
      ...(accepted ? { accepted } : {}),
    });
    await o.parts.leaveNotes(this.key, notes).catch((e: Error) => {
      // As after a crash: the claim counts as "may have been sent", never sent twice.
      o.log.warn({ jobId: job.id, reason: e.message }, "notes for the next attempt not kept");
    });
  }

  /** The error to throw for `err`: PermanentFailure (no retry) or a RetryableError. */
  private async failed(err: unknown): Promise<Error> {
    const { o, job, data } = this;
    await this.leaveNotes();
    // Waiting for the number's pace is no attempt: the worker parks the job (delayed).
    if (err instanceof NotYet) return err;
    if (err instanceof Refusal) {
      if (err instanceof OptedOutError) {
        await o.optOuts.record(o.gatewayId, data.from, data.to, "provider-error").catch(() => undefined);
      }
      o.log.warn({ jobId: job.id, condition: err.condition, reason: err.message }, "message refused");
      await this.tell(err.condition, err.message);
      await keepLess(job, refusedJobData(data), o.log);
      o.onOutcome?.("failed");
      return new PermanentFailure(err.message);
    }
    const reason = err instanceof Error ? err.message : String(err);
    if (job.attemptsMade + 1 >= job.attempts) {
      o.log.error({ jobId: job.id, attempts: job.attempts, reason }, "giving up after the last attempt");
      await this.tell("remote-server-timeout", givingUpText(o.adapter.kind, job.attempts, err));
      o.onOutcome?.("failed");
    } else {
      o.log.warn({ jobId: job.id, attempt: job.attemptsMade + 1, reason }, "send failed, will retry");
      o.onOutcome?.("retried");
    }
    return err instanceof RetryableError ? err : new RetryableError(reason);
  }
}
