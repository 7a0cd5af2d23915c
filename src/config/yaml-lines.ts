/** Line numbers for configuration problems: a path (gateways[0].users[1].number) to its YAML line. */
import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";

/**
 * The line of the value at `path`, or of the nearest enclosing entry that exists (a missing
 * option is reported at the mapping that lacks it); for the last key, the key's own line.
 */
export function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let at: Node | undefined = isNodeWithRange(node) ? node : undefined;
  for (const p of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(p));
      if (!pair) break;
      if (isNodeWithRange(pair.key)) at = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof p === "number") {
      node = node.items[p];
      if (isNodeWithRange(node)) at = node;
      else break;
    } else break;
  }
  const offset = at?.range?.[0];
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

function isNodeWithRange(v: unknown): v is Node {
  return typeof v === "object" && v !== null && "range" in v && Array.isArray((v as Node).range);
}
