/**
 * The loopback network would pass the layout's import rules as a folder under adapters/: its
 * files are judged as adapters/loopback/ (its stand-in and tests as adapters/loopback/test/),
 * with the rule table of test/harness/import-rules.ts. descriptor.ts is its registry line (the
 * part main.ts plays for production adapters) and is left out.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readGraph, violations } from "../../harness/import-rules.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const HERE = "test/conformance/loopback";
const TEST_SIDE = /(^stand-in\.ts|\.test\.ts)$/;

/** Where a file of this folder would live under adapters/. */
const asAdapter = (file: string) => {
  const name = path.posix.basename(file);
  return TEST_SIDE.test(name) ? `adapters/loopback/test/${name}` : `adapters/loopback/${name}`;
};

/** `spec` as imported from `to` instead of `from` (relative specs re-pointed, packages kept). */
const rebase = (spec: string, from: string, to: string) => {
  if (!spec.startsWith(".")) return spec;
  const target = path.posix.join(path.posix.dirname(from), spec);
  const moved = target.startsWith(`${HERE}/`) ? asAdapter(target) : target;
  const rel = path.posix.relative(path.posix.dirname(to), moved);
  return rel.startsWith(".") ? rel : `./${rel}`;
};

describe("the loopback network's layout", () => {
  it("imports only src/core (and its own files) from its adapter code, as an adapter under adapters/ must", () => {
    const graph = readGraph(root, [HERE]);
    const moved = new Map<string, readonly string[]>();
    for (const [file, specs] of graph) {
      if (path.posix.basename(file) === "descriptor.ts") continue;
      const to = asAdapter(file);
      moved.set(
        to,
        specs.map((s) => rebase(s, file, to)),
      );
    }
    expect(moved.size).toBeGreaterThan(6);
    expect(violations(moved)).toEqual([]);
  });
});
