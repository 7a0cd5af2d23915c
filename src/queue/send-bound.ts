/**
 * A worker's bound on sends in flight (p-limit), over single jobs and batch items together, and
 * the BullMQ worker's fetching kept to it.
 *
 * A batch job brings up to 100 sends. With BullMQ taking jobs up to a fixed concurrency, a
 * backlog filled the bound's queue with whole batches: up to 100 times the concurrency messages
 * waited in hand, their batches active (held under lock, exposed to the stall check, run again
 * after a crash) for as long as their last item waited. Here the worker takes another job only
 * while the bound's queue holds less than WAITING_BOUNDS bounds' worth: its concurrency is set to
 * the jobs it runs plus FETCH_AHEAD while there is room (at most `size`, as before), to those it
 * runs when there is none (a finishing job then brings no next one). So a backlog holds at most
 * WAITING_BOUNDS bounds' worth plus FETCH_AHEAD batches in hand, not `size` batches. A job of
 * single sends never waits in the queue, so single jobs run as before, up to `size` at once.
 */
import type { Job, Worker } from "bullmq";
import pLimit from "p-limit";

/** Messages allowed to wait for the bound, in bounds' worth, before the worker stops taking jobs. */
const WAITING_BOUNDS = 4;
/**
 * Jobs the worker may take beyond those it runs, while there is room. At 1 the bench's outbound
 * cost 15% more gateway CPU and 35% more Redis CPU per message: batches shrank from 8 messages to
 * 5 (the worker took them one round trip at a time, and found the queue empty and blocked on it
 * far more often). At 8 the bench's figures are those without the bound (32 Redis commands per
 * message, batches of 8).
 */
const FETCH_AHEAD = 8;
/**
 * Sends in flight while the outbound intake is behind (core/intake-lag.ts): a message not yet
 * enqueued is lost if the process dies, one in the queue is not, so the intake goes first. In the
 * gateway-kill test's kill just after a start (14 alternating runs each), the stanzas lost on the
 * wire fell from a median of 124 to 74, those the client wrote before the kill from 45 to 24.
 */
export const BEHIND_SENDS = 10;

/** What a processor returns when its outcome cannot be recorded: it never settles. */
const unsettled: Promise<never> = new Promise<never>(() => {});

export class SendBound {
  private readonly limit;
  /** Jobs whose processor is running. */
  private running = 0;
  private worker: Pick<Worker, "concurrency"> | undefined;
  private ended: (() => boolean) | undefined;

  constructor(private readonly size: number) {
    this.limit = pLimit(size);
  }

  /** Runs `send` within the bound. */
  run<T>(send: () => Promise<T>): Promise<T> {
    const sent = this.limit(send);
    this.adjust();
    return sent.finally(() => this.adjust());
  }

  /**
   * The processor for `worker`, counting the jobs it runs. A job that finishes after its worker's
   * connection was ended for good (a stop that gave up on Redis, roles/running.ts) is left
   * unsettled: BullMQ would retry recording its outcome at once and without end (it skips its
   * retry delay while closing, and an ended ioredis rejects at once), taking the event loop. Left
   * active, the job is taken up again by another worker after its lock expires, like one of a
   * crashed process, and the part ledger keeps a part already sent from being sent again.
   */
  processor<R>(process: (job: Job, token?: string) => Promise<R>) {
    return async (job: Job, token?: string): Promise<R> => {
      this.running++;
      this.adjust();
      let outcome: { ok: true; value: R } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await process(job, token) };
      } catch (error) {
        outcome = { ok: false, error };
      } finally {
        this.running--;
        this.adjust();
      }
      if (this.ended?.()) return unsettled as Promise<R>;
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    };
  }

  /** While `behind`, at most BEHIND_SENDS sends run at once; the rest wait their turn. */
  throttle(behind: boolean): void {
    const want = behind ? Math.min(this.size, BEHIND_SENDS) : this.size;
    if (this.limit.concurrency !== want) this.limit.concurrency = want;
    this.adjust();
  }

  /**
   * Starts keeping `worker`'s fetching to the bound (its concurrency option is only the start);
   * `ended` says when the worker's connection is closed for good (no outcome can be recorded).
   */
  keep(worker: Pick<Worker, "concurrency">, ended?: () => boolean): void {
    this.worker = worker;
    this.ended = ended;
    this.adjust();
  }

  private adjust(): void {
    if (this.worker === undefined) return;
    const size = this.limit.concurrency;
    // Throttled (the intake behind), another job only while no send waits for the bound.
    const throttled = size < this.size;
    const room = throttled ? this.limit.pendingCount === 0 : this.limit.pendingCount < WAITING_BOUNDS * size;
    const ahead = throttled ? 1 : FETCH_AHEAD;
    const want = room ? Math.min(size, this.running + ahead) : Math.max(1, this.running);
    if (this.worker.concurrency !== want) this.worker.concurrency = want;
  }
}
