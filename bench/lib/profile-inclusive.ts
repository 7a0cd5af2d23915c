/**
 * Inclusive time in a V8 .cpuprofile: for each function whose label matches PATTERN, the share
 * of samples with it anywhere on the stack (counted once per sample). Only synchronous stacks:
 * the time after an await is its own root. Usage:
 *   tsx bench/lib/profile-inclusive.ts FILE [PATTERN] [TOP]
 */
import { label, readProfile } from "./profile-tree.js";

const [file = "", pattern = "", topArg = "40"] = process.argv.slice(2);
const { byId, parent, hits, total } = readProfile(file);
const re = new RegExp(pattern);
const inclusive = new Map<string, number>();
for (const [id, count] of hits) {
  const seen = new Set<string>();
  for (let p: number | undefined = id; p !== undefined; p = parent.get(p)) {
    const n = byId.get(p);
    if (n) seen.add(label(n));
  }
  for (const l of seen) if (re.test(l)) inclusive.set(l, (inclusive.get(l) ?? 0) + count);
}
for (const [k, v] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg))) {
  process.stdout.write(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}\n`);
}
