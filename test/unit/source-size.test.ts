/**
 * Small files named for one job: no file over 300 lines and no function over 80 lines in src/ and
 * adapters/ (test/harness/source-size.ts measures them with the TypeScript parser).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MAX_FUNCTION_LINES, oversized } from "../harness/source-size.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("source size", () => {
  it("no file over 300 lines, no function over 80", () => {
    const found = oversized(root, ["src", "adapters"]).map((o) => `${o.file}: ${o.what} (${o.lines} lines)`);
    expect(found).toEqual([]);
  });

  it("measures nested functions with the function that holds them", () => {
    const found = oversized(path.join(root, "test/fixtures/source-size"), ["src"]);
    expect(found.map((o) => `${o.file}: ${o.what}`)).toEqual(["src/long.ts: outer (line 2)"]);
    expect(found[0]?.lines).toBeGreaterThan(MAX_FUNCTION_LINES);
  });
});
