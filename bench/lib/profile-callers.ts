/**
 * Who calls a hot function in a V8 .cpuprofile: self samples of functions whose name matches
 * PATTERN, grouped by their call stacks (DEPTH frames up). Usage:
 *   tsx bench/lib/profile-callers.ts FILE PATTERN [DEPTH]
 */
import { label, readProfile } from "./profile-tree.js";

const [file = "", pattern = "", depthArg = "6"] = process.argv.slice(2);
const depth = Number(depthArg);
const { byId, parent, hits, total } = readProfile(file);
const re = new RegExp(pattern);
const stacks = new Map<string, number>();
let matched = 0;
for (const [id, count] of hits) {
  const node = byId.get(id);
  if (!node || !re.test(label(node))) continue;
  matched += count;
  const chain: string[] = [];
  for (let p = parent.get(id), k = 0; p !== undefined && k < depth; p = parent.get(p), k++) {
    const pn = byId.get(p);
    if (pn) chain.push(label(pn));
  }
  const key = chain.join("\n      <- ");
  stacks.set(key, (stacks.get(key) ?? 0) + count);
}
process.stdout.write(`${pattern}: ${((100 * matched) / total).toFixed(1)}% of ${total} samples\n`);
for (const [k, v] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
  process.stdout.write(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}\n`);
}
