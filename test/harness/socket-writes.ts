/** Socket writes as the kernel gets them, for the tests of write coalescing. */
import type { Socket } from "node:net";

/** Counts what reaches the kernel: net.Socket's _write (one buffer) and _writev (several). */
export function countWrites(socket: Socket): { readonly n: number } {
  const counter = { n: 0 };
  const s = socket as unknown as Record<"_write" | "_writev", (...a: unknown[]) => unknown>;
  for (const m of ["_write", "_writev"] as const) {
    const original = s[m].bind(socket);
    s[m] = (...a: unknown[]) => {
      counter.n++;
      return original(...a);
    };
  }
  return counter;
}

/**
 * Runs `work(i)` for i = 0..n-1, each in a callback of its own, all in one turn of the event loop
 * (timers due together run in one timers phase), and resolves with their results in order.
 */
export function inCallbacksOfOneTurn<T>(n: number, work: (i: number) => Promise<T>): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const asked: Promise<T>[] = [];
    for (let i = 0; i < n; i++) {
      setTimeout(() => {
        asked.push(work(i));
        if (asked.length === n) Promise.all(asked).then(resolve, reject);
      }, 1);
    }
    // Created across a millisecond boundary, the timers could fall due in different turns: held
    // here until all of them are due, they run in one timers phase.
    const due = performance.now() + 3;
    while (performance.now() < due);
  });
}
