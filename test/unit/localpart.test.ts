import { describe, expect, it } from "vitest";
import { AddressError } from "../../src/core/errors.js";
import { ESCAPES, escapeLocalpart, unescapeLocalpart } from "../../src/core/localpart.js";

describe("escapeLocalpart (XEP-0106)", () => {
  it.each([
    [" ", "\\20"],
    ['"', "\\22"],
    ["&", "\\26"],
    ["'", "\\27"],
    ["/", "\\2f"],
    [":", "\\3a"],
    ["<", "\\3c"],
    [">", "\\3e"],
    ["@", "\\40"],
  ])("escapes %j as %s", (char, seq) => {
    expect(escapeLocalpart(`a${char}b`)).toBe(`a${seq}b`);
    expect(unescapeLocalpart(`a${seq}b`)).toBe(`a${char}b`);
  });

  it("holds exactly the ten characters of the XEP-0106 table", () => {
    expect(Object.keys(ESCAPES).sort()).toEqual([" ", '"', "&", "'", "/", ":", "<", ">", "@", "\\"].sort());
  });

  it.each([
    ["space cadet", "space\\20cadet"],
    ['call me "ishmael"', "call\\20me\\20\\22ishmael\\22"],
    ["at&t guy", "at\\26t\\20guy"],
    ["d'artagnan", "d\\27artagnan"],
    ["/.fanboy", "\\2f.fanboy"],
    ["::foo::", "\\3a\\3afoo\\3a\\3a"],
    ["<foo>", "\\3cfoo\\3e"],
    ["user@host", "user\\40host"],
    ["c:\\net", "c\\3a\\net"],
    ["c:\\\\net", "c\\3a\\\\net"],
    ["c:\\cool stuff", "c\\3a\\cool\\20stuff"],
    ["c:\\5commas", "c\\3a\\5c5commas"],
    ["alice@example.com", "alice\\40example.com"],
    ["ACME", "ACME"],
    ["+15551234567", "+15551234567"],
  ])("%j <-> %j", (raw, escaped) => {
    expect(escapeLocalpart(raw)).toBe(escaped);
    expect(unescapeLocalpart(escaped)).toBe(raw);
  });

  it("escapes a backslash only when an escape sequence follows it", () => {
    expect(escapeLocalpart("a\\40b")).toBe("a\\5c40b");
    expect(escapeLocalpart("a\\41b")).toBe("a\\41b");
    expect(escapeLocalpart("a\\")).toBe("a\\");
    expect(unescapeLocalpart(escapeLocalpart("a\\40b"))).toBe("a\\40b");
  });

  it("leaves unknown and uppercase sequences alone when unescaping", () => {
    expect(unescapeLocalpart("a\\41b\\2Fc")).toBe("a\\41b\\2Fc");
  });

  it("refuses empty input and leading or trailing spaces", () => {
    expect(() => escapeLocalpart("")).toThrow(AddressError);
    expect(() => escapeLocalpart(" lead")).toThrow(AddressError);
    expect(() => escapeLocalpart("trail ")).toThrow(AddressError);
  });

  it("round-trips awkward strings", () => {
    for (const s of ["a b@c/d:e", "\\\\5c", "x\\5c\\20y", "'\"&<>"]) {
      expect(unescapeLocalpart(escapeLocalpart(s))).toBe(s);
    }
  });
});
