/**
 * Whether a queue's workers all run batch jobs, so the producer may add them (rolling upgrades).
 *
 * A worker of an older version reads every job of its queue as a single message: it would fail a
 * batch job as malformed and keep only its start. So workers that run batch jobs say so in their
 * Redis connection name (BullMQ's worker `name`, seen by `Queue.getWorkers()`), and the producer
 * adds batch jobs to a queue only while at least one worker is connected and every connected
 * worker says so. Otherwise it adds single jobs, which every version runs. The answer is cached
 * (CLIENT LIST costs Redis a scan of its clients) and refreshed in the background, so asking it
 * costs the enqueue nothing; until the first answer, and when Redis will not tell, it is "no".
 */
import type { Queue } from "bullmq";

/** The name every worker that runs batch jobs gives BullMQ (a new batch format needs a new name). */
export const BATCH_WORKER_NAME = "xgw-batch-1";

interface Known {
  ok: boolean;
  at: number;
  asking: boolean;
}

export class BatchReaders {
  private readonly known = new Map<Queue, Known>();

  constructor(private readonly maxAgeMs = 5_000) {}

  /** The last answer for `queue` (false before the first); asks again when it is older than maxAge. */
  ok(queue: Queue): boolean {
    const k = this.entry(queue);
    if (!k.asking && Date.now() - k.at > this.maxAgeMs) void this.refresh(queue);
    return k.ok;
  }

  /** Asks the queue's workers now, and answers. */
  async refresh(queue: Queue): Promise<boolean> {
    const k = this.entry(queue);
    k.asking = true;
    try {
      const workers = await queue.getWorkers();
      k.ok =
        workers.length > 0 &&
        workers.every((w) => String(w.rawname ?? "").endsWith(`:w:${BATCH_WORKER_NAME}`));
    } catch {
      k.ok = false;
    } finally {
      k.at = Date.now();
      k.asking = false;
    }
    return k.ok;
  }

  private entry(queue: Queue): Known {
    let k = this.known.get(queue);
    if (!k) {
      k = { ok: false, at: 0, asking: false };
      this.known.set(queue, k);
    }
    return k;
  }
}
