/**
 * Who calls a hot function in a V8 .cpuprofile: self samples of functions whose name matches
 * PATTERN, grouped by their call stacks (DEPTH frames up). Usage:
 *   tsx bench/lib/profile-callers.ts FILE PATTERN [DEPTH]
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const [file = "", pattern = "", depthArg = "6"] = process.argv.slice(2);
const depth = Number(depthArg);
const prof = JSON.parse(readFileSync(file, "utf8")) as { nodes: Node[]; samples: number[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const hits = new Map<number, number>();
for (const s of prof.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const label = (n: Node) => {
  const url = n.callFrame.url
    .replace(/^file:\/\/.*?node_modules\//, "")
    .replace(/^file:\/\/.*?\/(wt-[^/]+|main)\//, "");
  return `${n.callFrame.functionName || "(anon)"} ${url}:${n.callFrame.lineNumber}`;
};
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
const total = prof.samples.length;
process.stdout.write(`${pattern}: ${((100 * matched) / total).toFixed(1)}% of ${total} samples\n`);
for (const [k, v] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
  process.stdout.write(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}\n`);
}
