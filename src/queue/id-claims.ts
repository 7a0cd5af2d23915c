/**
 * The producer's first step for a batch of enqueues: claim each entry's id (seen-markers.ts).
 * An id seen before, or twice in the batch, is answered "duplicate"; one another producer holds is
 * asked for again shortly, backing off, until the enqueue's deadline (then the outcome is
 * uncertain: that producer may still add it); the rest go on to be added.
 */
import type { EnqueueOutcome } from "../core/ports.js";
import { EnqueueUncertainError } from "../core/ports.js";
import type { SeenMarkers } from "./seen-markers.js";

export interface Claimant {
  readonly seenKey: string;
  readonly resolve: (outcome: EnqueueOutcome) => void;
  readonly reject: (err: Error) => void;
  /** While another producer holds its id: until when it is asked again, and how soon. */
  retry?: { readonly until: number; wait: number };
}

export class IdClaims<P extends Claimant> {
  /** Entries waiting to ask again. */
  private readonly waiting = new Map<P, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly seen: SeenMarkers,
    private readonly withinMs: number,
    /** Puts an entry back in line for the next batch. */
    private readonly again: (p: P) => void,
  ) {}

  /** The entries whose ids this producer now holds; every other entry is answered or waits. */
  async fresh(batch: readonly P[]): Promise<P[]> {
    const distinct: P[] = [];
    const inBatch = new Set<string>();
    for (const p of batch) {
      if (inBatch.has(p.seenKey)) p.resolve("duplicate");
      else {
        inBatch.add(p.seenKey);
        distinct.push(p);
      }
    }
    const answers = await this.seen.claim(distinct.map((p) => p.seenKey));
    return distinct.filter((p, i) => {
      if (answers[i] === "seen") p.resolve("duplicate");
      else if (answers[i] === "claimed-elsewhere") this.later(p);
      return answers[i] === "new";
    });
  }

  /** Answers every waiting entry: its outcome is not known (its holder may still add it). */
  close(): void {
    this.closed = true;
    for (const [p, timer] of this.waiting) {
      clearTimeout(timer);
      p.reject(new EnqueueUncertainError("shutting down while another process held this message's id"));
    }
    this.waiting.clear();
  }

  private later(p: P): void {
    const now = Date.now();
    p.retry ??= { until: now + this.withinMs, wait: 25 };
    if (this.closed || now >= p.retry.until) {
      p.reject(new EnqueueUncertainError("another process holds this message's id and has not confirmed it"));
      return;
    }
    p.retry.wait = Math.min(p.retry.wait * 2, 1_000);
    const timer = setTimeout(() => {
      this.waiting.delete(p);
      this.again(p);
    }, p.retry.wait);
    this.waiting.set(p, timer);
  }
}
