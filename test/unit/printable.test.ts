import { describe, expect, it } from "vitest";
import { printable } from "../../src/core/printable.js";

describe("printable (what the CLI prints of job data)", () => {
  it.each([
    ["\u001b[2J\u001b[H", "\\x1b[2J\\x1b[H"],
    ["bell\u0007", "bell\\x07"],
    ["nul\u0000", "nul\\x00"],
    ["tab\tnew\nline\rcr", "tab\\x09new\\x0aline\\x0dcr"],
    ["del\u007f", "del\\x7f"],
    ["c1 \u009b31m", "c1 \\x9b31m"],
    ["bidi \u202eevil\u2066", "bidi \\u{202e}evil\\u{2066}"],
    ["line sep \u2028", "line sep \\u{2028}"],
    ["bom \ufeff", "bom \\u{feff}"],
    ["lone \ud800 surrogate", "lone \\u{d800} surrogate"],
    ["back\\slash", "back\\\\slash"],
  ])("escapes %j", (input, out) => {
    expect(printable(input)).toBe(out);
  });

  it.each(["plain text", "+1 555 123 4567", "émoji 👍🏽 and 👨‍👩‍👧 families", "中文 العربية"])(
    "leaves %j as it is",
    (text) => {
      expect(printable(text)).toBe(text);
    },
  );

  it("keeps newlines when asked to", () => {
    expect(printable("a\nb\u001b", { keepNewlines: true })).toBe("a\nb\\x1b");
  });
});
