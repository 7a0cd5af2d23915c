/** Socket writes as the kernel gets them, for the tests of write coalescing. */
import type { Socket } from "node:net";

/** One write as the kernel gets it: a chunk of _write, or every chunk of one _writev. */
function textOf(method: "_write" | "_writev", args: unknown[]): string {
  const asText = (c: unknown) => (typeof c === "string" ? c : Buffer.isBuffer(c) ? c.toString() : "");
  if (method === "_write") return asText(args[0]);
  const chunks = Array.isArray(args[0]) ? (args[0] as { chunk?: unknown }[]) : [];
  return chunks.map((c) => asText(c.chunk)).join("");
}

/**
 * Counts what reaches the kernel: net.Socket's _write (one buffer) and _writev (several), and
 * keeps the text of each write (`texts`), for tests that must tell their writes from others.
 */
export function countWrites(socket: Socket): { readonly n: number; readonly texts: readonly string[] } {
  const counter = { n: 0, texts: [] as string[] };
  const s = socket as unknown as Record<"_write" | "_writev", (...a: unknown[]) => unknown>;
  for (const m of ["_write", "_writev"] as const) {
    const original = s[m].bind(socket);
    s[m] = (...a: unknown[]) => {
      counter.n++;
      counter.texts.push(textOf(m, a));
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
