import { describe, expect, it } from "vitest";
import { formatSmsAddress } from "../../adapters/sms-kit/sms-address.js";
import { jidSafeLocalpart, LOCALPART_REPLACEMENT } from "../../src/core/localpart-chars.js";

const R = LOCALPART_REPLACEMENT;

describe("jidSafeLocalpart (what nodeprep, RFC 3920 appendix A, accepts)", () => {
  it.each([
    ["form feed", "AC\u000cME", `AC${R}ME`],
    ["U+0001", "A\u0001B", `A${R}B`],
    ["U+FFFE", "A\ufffeB", `A${R}B`],
    ["U+FFFF", "A\uffffB", `A${R}B`],
    ["U+FFFD (prohibited by nodeprep, table C.6)", "a\ufffdb", `a${R}b`],
    ["DEL", "a\u007fb", `a${R}b`],
    ["a C1 control", "a\u0085b", `a${R}b`],
    ["a non-ASCII space NFKC keeps", "a\u1680b", `a${R}b`],
    ["a line separator", "a\u2028b", `a${R}b`],
    ["a bidi mark", "a\u200eb", `a${R}b`],
    ["a private-use character", "a\ue000b", `a${R}b`],
    ["a noncharacter", "a\ufdd0b", `a${R}b`],
    ["an astral noncharacter", "a\u{1fffe}b", `a${R}b`],
    ["a tag character", "a\u{e0001}b", `a${R}b`],
    ["a lone surrogate", "a\ud800b", `a${R}b`],
    ["an ideographic description character", "a\u2ff0b", `a${R}b`],
  ])("replaces %s", (_what, raw, safe) => {
    expect(jidSafeLocalpart(raw)).toBe(safe);
  });

  it.each([
    ["ACME", "ACME"],
    ["Café", "Café"],
    ["a b", "a\\20b"],
    ["日本", "日本"],
    ["a😀b", "a😀b"],
    ["\u05d0\u05d1", "\u05d0\u05d1"], // right-to-left only
    ["\u05d0 1 \u05d1", "\u05d0\\201\\20\u05d1"],
  ])("keeps %j (escaped as XEP-0106 says)", (raw, escaped) => {
    expect(jidSafeLocalpart(raw)).toBe(escaped);
  });

  it("normalizes with NFKC first, as stringprep does, so what it yields is escaped", () => {
    expect(jidSafeLocalpart("ＡＢ")).toBe("AB");
    expect(jidSafeLocalpart("a＠b")).toBe("a\\40b");
    expect(jidSafeLocalpart("x℀y")).toBe("xa\\2fcy");
    expect(jidSafeLocalpart("a\u00a0b")).toBe("a\\20b"); // NO-BREAK SPACE is a space after NFKC
  });

  it("replaces right-to-left letters where the bidi rule (RFC 3454 section 6) would refuse the string", () => {
    expect(jidSafeLocalpart("a\u05d0")).toBe(`a${R}`);
    expect(jidSafeLocalpart("\u05d01")).toBe(`${R}1`);
    expect(jidSafeLocalpart("\u0627abc\u0628")).toBe(`${R}abc${R}`);
    expect(jidSafeLocalpart("\u05d0@")).toBe(`${R}\\40`);
  });

  it("never yields an empty localpart or one with a space at either end", () => {
    expect(jidSafeLocalpart("")).toBe(R);
    expect(jidSafeLocalpart("   ")).toBe(R);
    expect(jidSafeLocalpart("\u00a0x\u00a0")).toBe("x");
  });

  it("bounds the length (a JID localpart holds at most 1023 bytes, escaping can triple it)", () => {
    const out = jidSafeLocalpart("😀".repeat(1000));
    expect(Buffer.byteLength(out, "utf8")).toBeLessThanOrEqual(341);
    expect(out).toBe("😀".repeat(85));
    expect(Buffer.byteLength(jidSafeLocalpart("@".repeat(1000)), "utf8")).toBeLessThanOrEqual(1023);
  });
});

describe("formatSmsAddress with hostile senders", () => {
  it("keeps an E.164 number exactly as it is", () => {
    expect(formatSmsAddress("+15551234567")).toBe("+15551234567");
  });

  it("makes an alphanumeric sender with forbidden characters a valid localpart", () => {
    expect(formatSmsAddress("AC\u000cME CO")).toBe(`AC${R}ME\\20CO`);
    expect(formatSmsAddress("\u0001")).toBe(R);
    expect(formatSmsAddress("+1555\ufffe1234567")).toBe(`+1555${R}1234567`);
  });
});
