/**
 * When the producer flushes (producer.ts): at the end of the turn that asked, unless a flush is
 * still on its way to Redis. Then the next one waits for that one's answer, at most HOLD_MAX_MS,
 * so that under load the enqueues of the turns in between go together: one batch job of 30
 * messages instead of three of 10 (each job costs BullMQ's scripts to add, start and finish it,
 * and a worker's fetch). The bound keeps an add waiting on a reconnect from holding the rest.
 */

/** The longest a flush on its way holds the next one back. */
const HOLD_MAX_MS = 20;

export class HeldFlush {
  private scheduled = false;
  /** The flush on its way that the next one waits for. */
  private holding: object | undefined;

  /** `flush` sends what is pending and never rejects; `pending` says whether anything waits. */
  constructor(
    private readonly flush: () => Promise<void>,
    private readonly pending: () => boolean,
  ) {}

  /** A flush at the end of this turn, or once the flush on its way is answered. */
  request(): void {
    if (this.scheduled || this.holding) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.start();
    });
  }

  private start(): void {
    const hold = {};
    this.holding = hold;
    const release = () => {
      if (this.holding !== hold) return;
      this.holding = undefined;
      clearTimeout(timer);
      if (this.pending()) this.request();
    };
    const timer = setTimeout(release, HOLD_MAX_MS);
    timer.unref();
    void this.flush().finally(release);
  }
}
