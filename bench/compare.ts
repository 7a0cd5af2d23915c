/**
 * `npm run bench:compare -- [--runs N] REF...`: the distinct-numbers workloads (table 0 of `npm
 * run bench`) for several builds, run after run in turn (A, B, A, B, ...) so a noisy machine
 * spreads over all of them, then each figure as the median [range] of its build's runs.
 *
 * Each REF (a commit, a branch, HEAD) is checked out in a worktree of its own (a temporary
 * directory, removed at the end) sharing this checkout's node_modules; the bench builds it and
 * runs it with this checkout's bench code (BENCH_GATEWAY_ROOT). Other BENCH_* settings pass
 * through (BENCH_SERVERS=ejabberd, say); BENCH_ONLY_DISTINCT is 1 unless set. Each run's output
 * goes to RUN.log in the temporary directory, named on stderr as it goes.
 */
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { comparisonTable, type Figures, parseTableZero } from "./lib/table-zero.js";

const ROOT = join(import.meta.dirname, "..");

function parseArgs(argv: readonly string[]): { runs: number; refs: string[] } {
  const refs: string[] = [];
  let runs = 3;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--runs") runs = Number(argv[++i]);
    else refs.push(a);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs takes a whole number above 0");
  if (refs.length === 0) throw new Error("usage: npm run bench:compare -- [--runs N] REF [REF...]");
  return { runs, refs };
}

const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT }).toString().trim();

/** Runs the bench once against `root`; resolves with its output (also written to `logFile`). */
function benchOnce(root: string, logFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = {
      ...process.env,
      BENCH_GATEWAY_ROOT: root,
      BENCH_ONLY_DISTINCT: process.env.BENCH_ONLY_DISTINCT ?? "1",
    };
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", join(ROOT, "bench/run.ts")], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const log = createWriteStream(logFile);
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      log.write(d);
    });
    child.stderr.pipe(log);
    child.on("error", reject);
    child.on("close", (code) => {
      log.end();
      if (code === 0) resolve(out);
      else reject(new Error(`the bench of ${root} exited with ${code}; see ${logFile}`));
    });
  });
}

async function main(): Promise<void> {
  const { runs, refs } = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), "xgw-compare-"));
  const builds = refs.map((ref, i) => {
    const sha = git("rev-parse", "--short", `${ref}^{commit}`);
    const root = join(dir, `build-${i}-${sha}`);
    git("worktree", "add", "--detach", "--quiet", root, sha);
    symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
    return { name: `${ref} (${sha})`, root, runs: [] as Figures[] };
  });
  try {
    for (let run = 1; run <= runs; run++) {
      for (const [i, b] of builds.entries()) {
        const logFile = join(dir, `run-${run}-build-${i}.log`);
        process.stderr.write(`  .. run ${run}/${runs} of ${b.name} (${logFile})\n`);
        const figures = parseTableZero(await benchOnce(b.root, logFile));
        if (figures.size === 0) throw new Error(`the bench printed no table 0; see ${logFile}`);
        b.runs.push(figures);
      }
    }
    process.stdout.write(`${comparisonTable(builds)}\n`);
  } finally {
    for (const b of builds) git("worktree", "remove", "--force", b.root);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:compare: ${err.message}\n`);
  process.exitCode = 1;
});
