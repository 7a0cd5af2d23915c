/**
 * Pacing per sender number: before each part goes to the provider it takes a slot of its number's
 * pace (SendPacer, shared by every worker process). A part whose slot is later waits: a short wait
 * in place, a longer one as a delayed job (NotYet: the worker parks the job without counting an
 * attempt), so a burst from one number leaves at the number's pace instead of bouncing off 429s.
 */
import { NotYet, type Pace, type PaceSetting, type SendPacer } from "../ports.js";

export interface Pacing {
  readonly pacer: SendPacer;
  /** The pace of a sender number; undefined: not paced. */
  readonly paceOf: (number: string) => Pace | undefined;
}

/** Waits shorter than this are waited in place (a delayed job wakes no sooner than this anyway). */
const WAIT_IN_PLACE_MS = 50;

/** A user's own pace (or "off") wins over the gateway's; neither: not paced. */
export function paceOf(
  gateway: Pace | undefined,
  users: readonly { readonly number: string; readonly pacing?: PaceSetting }[],
): (number: string) => Pace | undefined {
  const own = new Map<string, PaceSetting>();
  for (const u of users) if (u.pacing !== undefined) own.set(u.number, u.pacing);
  return (number) => {
    const pace = own.get(number) ?? gateway;
    return pace === "off" ? undefined : pace;
  };
}

/** The pacer's answer for a slot, already had (booked with the part's claim, PartLedger.open). */
export interface SlotAnswer {
  /** The clock time it was asked at, and what it answered: ms to wait (0: go now). */
  readonly at: number;
  readonly wait: number;
}

/**
 * Returns once the send `slot` (job and part) of `from` may go; throws NotYet when it must wait
 * longer than a moment. Asked again after the wait, the slot is already booked. `first`: the
 * answer the slot already got, so the pacer is asked only after a wait.
 */
export async function awaitSlot(
  pacing: Pacing | undefined,
  gatewayId: string,
  from: string,
  slot: string,
  clock: () => number = Date.now,
  first?: SlotAnswer,
): Promise<void> {
  const pace = pacing?.paceOf(from);
  if (pacing === undefined || pace === undefined) return;
  for (let answer = first; ; answer = undefined) {
    const now = answer?.at ?? clock();
    const wait = answer?.wait ?? (await pacing.pacer.take(gatewayId, from, pace, slot, now));
    if (wait <= 0) return;
    if (wait > WAIT_IN_PLACE_MS) throw new NotYet(now + wait);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, now + wait - clock())));
  }
}
