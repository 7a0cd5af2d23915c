/** Summarizes a sampled heap profile (bench/lib/alloc-sampler.mjs): bytes allocated by function and
 * by package, self only. Usage: tsx bench/lib/alloc-summary.ts FILE [messages] */
import { readFileSync } from "node:fs";

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}
const file = process.argv[2] ?? "";
const messages = Number(process.argv[3] ?? "0");
const { head } = JSON.parse(readFileSync(file, "utf8")) as { head: HeapNode };
const self = new Map<string, number>();
const byPkg = new Map<string, number>();
let total = 0;
const walk = (n: HeapNode): void => {
  const url = n.callFrame.url
    .replace(/^file:\/\/.*?node_modules\//, "")
    .replace(/^file:\/\/.*?\/(dist\/)?/, "");
  const key = `${n.callFrame.functionName || "(anon)"} ${url}:${n.callFrame.lineNumber}`;
  const pkg = url.startsWith("@")
    ? url.split("/").slice(0, 2).join("/")
    : url.split("/")[0] || n.callFrame.functionName;
  total += n.selfSize;
  self.set(key, (self.get(key) ?? 0) + n.selfSize);
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + n.selfSize);
  for (const c of n.children) walk(c);
};
walk(head);
const top = (m: Map<string, number>, k: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(
      ([name, b]) =>
        `${((100 * b) / total).toFixed(1).padStart(5)}%  ${(b / 1e6).toFixed(1).padStart(8)} MB  ${name}`,
    );
const perMsg = messages > 0 ? `, ${(total / messages / 1024).toFixed(1)} KB per message` : "";
console.log(
  `allocated ${(total / 1e6).toFixed(0)} MB${perMsg}\n-- by package --\n${top(byPkg, 20).join("\n")}\n-- by function --\n${top(self, 40).join("\n")}`,
);
