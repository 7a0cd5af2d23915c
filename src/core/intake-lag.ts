/**
 * Whether the outbound intake is behind: its stanzas wait longer than `lagMs` between their read
 * and Redis's answer to their enqueue.
 *
 * The intake is where a message becomes durable. A stanza read and not yet enqueued is lost when
 * the process dies (the SIGKILL window); a message in the queue waits safely. Just after a start
 * (the JIT has compiled nothing yet) the worker's sends took the event loop's turns from the
 * intake: stanzas waited 50-250 ms for their enqueue, not 5. So while the intake is behind the
 * worker sends fewer at once (send-bound.ts), and the turns go to the intake first.
 *
 * Behind: a stanza took longer than `lagMs`. Caught up: one took less than half of it, or none took
 * longer for `holdMs`. The hold matters: one Redis reply answers a turn's enqueues together, so
 * the intake empties between bursts even while each of its stanzas waits long.
 */
export type LagListener = (behind: boolean) => void;

/** What the worker side sees of it. */
export interface IntakeLagSignal {
  readonly behind: boolean;
  /** Calls `listener` on each change; returns the unsubscribe. */
  onChange(listener: LagListener): () => void;
}

export interface IntakeLagOptions {
  readonly lagMs?: number;
  readonly holdMs?: number;
}

export class IntakeLag implements IntakeLagSignal {
  private isBehind = false;
  private slowAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<LagListener>();
  private readonly lagMs: number;
  private readonly holdMs: number;

  constructor(o: IntakeLagOptions = {}) {
    this.lagMs = o.lagMs ?? 20;
    this.holdMs = o.holdMs ?? 250;
  }

  get behind(): boolean {
    return this.isBehind;
  }

  onChange(listener: LagListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A stanza left the intake, `ms` after it was read. */
  took(ms: number): void {
    if (ms > this.lagMs) {
      this.slowAt = Date.now();
      if (this.timer === undefined) this.releaseAfter(this.holdMs);
      this.set(true);
    } else if (ms < this.lagMs / 2) {
      this.set(false);
    }
  }

  /** Caught up once `holdMs` passed without a slow stanza. */
  private releaseAfter(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const left = this.slowAt + this.holdMs - Date.now();
      if (!this.isBehind) return;
      if (left > 0) this.releaseAfter(left);
      else this.set(false);
    }, ms);
    this.timer.unref();
  }

  private set(behind: boolean): void {
    if (behind === this.isBehind) return;
    this.isBehind = behind;
    for (const listener of this.listeners) listener(behind);
  }
}
