/** A V8 .cpuprofile read for the profile tools: its nodes by id, each node's parent, and labels. */
import { readFileSync } from "node:fs";

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface ProfileTree {
  readonly byId: Map<number, ProfileNode>;
  readonly parent: Map<number, number>;
  /** Samples per node id. */
  readonly hits: Map<number, number>;
  readonly total: number;
}

export function readProfile(file: string): ProfileTree {
  const prof = JSON.parse(readFileSync(file, "utf8")) as { nodes: ProfileNode[]; samples: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hits = new Map<number, number>();
  for (const s of prof.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  return { byId, parent, hits, total: prof.samples.length };
}

/** "function file:line", the file relative to node_modules or the checkout. */
export function label(n: ProfileNode): string {
  const url = n.callFrame.url
    .replace(/^file:\/\/.*?node_modules\//, "")
    .replace(/^file:\/\/.*?\/(wt-[^/]+|main)\//, "");
  return `${n.callFrame.functionName || "(anon)"} ${url}:${n.callFrame.lineNumber}`;
}
