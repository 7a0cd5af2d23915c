// Garbage collections in the gateway's process, every 2 s on stderr: how many of each kind and
// their total time, with the RSS and the JS heap in use. Load with
//   BENCH_NODE_FLAGS="--import=$PWD/bench/lib/gc-observer.mjs" npm run bench
// (the gateway's stderr is the bench's); lines start with GCSTAT.
import { constants, PerformanceObserver } from "node:perf_hooks";

const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
};
let totals = {};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = KINDS[entry.detail?.kind] ?? "other";
    const t = totals[kind] ?? { count: 0, ms: 0 };
    t.count++;
    t.ms += entry.duration;
    totals[kind] = t;
  }
}).observe({ entryTypes: ["gc"] });
setInterval(() => {
  const m = process.memoryUsage();
  const kinds = Object.entries(totals).map(([k, t]) => `${k} ${t.count} in ${t.ms.toFixed(0)} ms`);
  process.stderr.write(
    `GCSTAT ${kinds.join(", ") || "none"}; rss ${(m.rss / 2 ** 20).toFixed(0)} MB, heap used ${(m.heapUsed / 2 ** 20).toFixed(0)} MB\n`,
  );
  totals = {};
}, 2000).unref();
