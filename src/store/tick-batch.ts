/**
 * Store commands asked for in one turn of the event loop, by however many jobs, go to Redis as
 * one pipeline: one write and one read instead of one of each per job. A worker running 100 jobs
 * at once gets their provider answers in the same turn, so their ledger writes share a round
 * trip (the profile of the distinct-numbers bench had a socket write per job per step as the
 * largest single cost).
 *
 * Each caller queues its commands on the shared pipeline (the stores' `...In(batch, ...)`
 * methods, batch.ts) and gets its own replies: a command's error fails only its caller, a
 * connection failure fails every caller of that pipeline, as it would have failed each of
 * their own pipelines.
 */
import type { ChainableCommander, Redis } from "ioredis";
import type { BatchReplies } from "./batch.js";

/** Reads the caller's replies out of the pipeline's; may itself ask Redis more (async). */
export type BatchReader<T> = (replies: BatchReplies) => T | Promise<T>;

interface Waiter {
  readonly read: BatchReader<unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

/** A pipeline this large goes out at once rather than at the end of the turn. */
const MAX_COMMANDS = 2000;

export class TickBatch {
  private batch: ChainableCommander | undefined;
  private waiters: Waiter[] = [];

  constructor(private readonly redis: Redis) {}

  /** Queues `fill`'s commands on this turn's pipeline; resolves with what its reader returns. */
  run<T>(fill: (batch: ChainableCommander) => BatchReader<T>): Promise<T> {
    if (this.batch === undefined) {
      this.batch = this.redis.pipeline();
      setImmediate(() => this.flush());
    }
    const batch = this.batch;
    const read = fill(batch) as BatchReader<unknown>;
    const done = new Promise<T>((resolve, reject) =>
      this.waiters.push({ read, resolve: resolve as (v: unknown) => void, reject }),
    );
    if (batch.length >= MAX_COMMANDS) this.flush();
    return done;
  }

  private flush(): void {
    const batch = this.batch;
    const waiters = this.waiters;
    if (batch === undefined) return;
    this.batch = undefined;
    this.waiters = [];
    batch.exec().then(
      (replies) => {
        for (const w of waiters) {
          try {
            Promise.resolve(w.read(replies)).then(w.resolve, w.reject);
          } catch (err) {
            w.reject(err);
          }
        }
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    );
  }
}
