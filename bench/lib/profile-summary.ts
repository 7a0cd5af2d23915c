/** Summarizes a V8 .cpuprofile: self time by function and by package. Usage: tsx bench/lib/profile-summary.ts FILE */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const file = process.argv[2] ?? "";
const prof = JSON.parse(readFileSync(file, "utf8")) as { nodes: Node[]; samples: number[] };
const total = prof.samples.length;
const self = new Map<string, number>();
const byPkg = new Map<string, number>();
const counts = new Map<number, number>();
for (const s of prof.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
for (const n of prof.nodes) {
  const hits = counts.get(n.id) ?? 0;
  if (!hits) continue;
  const url = n.callFrame.url.replace(/^file:\/\/.*?node_modules\//, "").replace(/^file:\/\/.*?\/main\//, "");
  const key = `${n.callFrame.functionName || "(anon)"} ${url}:${n.callFrame.lineNumber}`;
  self.set(key, (self.get(key) ?? 0) + hits);
  const pkg = url.startsWith("@")
    ? url.split("/").slice(0, 2).join("/")
    : url.split("/")[0] || n.callFrame.functionName;
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + hits);
}
const top = (m: Map<string, number>, k: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([name, h]) => `${((100 * h) / total).toFixed(1).padStart(5)}%  ${name}`);
console.log(
  `samples ${total}\n-- by package --\n${top(byPkg, 25).join("\n")}\n-- by function --\n${top(self, 30).join("\n")}`,
);
