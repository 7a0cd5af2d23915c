// Allocation sampling for the gateway's processes, collected objects included (unlike --heap-prof,
// which keeps only what is live at exit). Load with
//   BENCH_NODE_FLAGS="--import=./bench/lib/alloc-sampler.mjs" BENCH_ALLOC_PROF=DIR npm run bench
// and summarize with `npx tsx bench/lib/alloc-summary.ts DIR/FILE.heapprofile`.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const dir = process.env.BENCH_ALLOC_PROF;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("HeapProfiler.enable");
  session.post("HeapProfiler.startSampling", {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  // The main-thread session answers synchronously, so this works inside an 'exit' listener.
  process.on("exit", () => {
    session.post("HeapProfiler.stopSampling", (err, res) => {
      if (err) return;
      writeFileSync(join(dir, `alloc-${process.pid}.heapprofile`), JSON.stringify(res.profile));
    });
  });
}
