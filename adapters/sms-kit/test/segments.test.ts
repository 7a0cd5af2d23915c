import { afterEach, describe, expect, it, vi } from "vitest";
import { countSegments, gsm7Length, splitText } from "../segments.js";

/** True when `s` holds a UTF-16 surrogate without its partner (a cut emoji). */
const hasLoneSurrogate = (s: string) =>
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe("countSegments", () => {
  it("counts plain GSM-7 text: 160 in one segment, 153 per part beyond", () => {
    expect(countSegments("a".repeat(160))).toEqual({ encoding: "GSM-7", units: 160, segments: 1 });
    expect(countSegments("a".repeat(161))).toEqual({ encoding: "GSM-7", units: 161, segments: 2 });
    expect(countSegments("a".repeat(306)).segments).toBe(2);
    expect(countSegments("a".repeat(307)).segments).toBe(3);
    expect(countSegments("")).toEqual({ encoding: "GSM-7", units: 0, segments: 0 });
  });

  it("counts each GSM-7 extension character as two septets", () => {
    for (const ch of ["^", "{", "}", "\\", "[", "~", "]", "|", "€"]) {
      expect(gsm7Length(ch)).toBe(2);
    }
    expect(countSegments("€".repeat(80))).toEqual({ encoding: "GSM-7", units: 160, segments: 1 });
    expect(countSegments(`${"€".repeat(80)}a`).segments).toBe(2);
    expect(countSegments("Ünö? ñ £ ¥ § Ä é").encoding).toBe("GSM-7");
  });

  it("switches the whole text to UCS-2 for one character outside GSM-7: 70, then 67 per part", () => {
    expect(countSegments(`${"a".repeat(69)}✓`)).toEqual({ encoding: "UCS-2", units: 70, segments: 1 });
    expect(countSegments(`${"a".repeat(70)}✓`).segments).toBe(2);
    // An emoji outside the BMP takes two UTF-16 code units.
    expect(countSegments("😀")).toEqual({ encoding: "UCS-2", units: 2, segments: 1 });
    expect(countSegments("😀".repeat(36)).segments).toBe(2);
    expect(countSegments("ç").encoding).toBe("UCS-2"); // lower-case ç is not in GSM-7 (only Ç)
  });
});

describe("splitText", () => {
  it("returns a text that fits as one part", () => {
    expect(splitText("hello world", 1600)).toEqual(["hello world"]);
    expect(splitText("", 1600)).toEqual([""]);
  });

  it("splits on word boundaries, in order, within the limit", () => {
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`);
    const text = words.join(" ");
    const parts = splitText(text, 100);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(100);
      expect(p).toMatch(/^word\d+( word\d+)*$/); // whole words only
    }
    expect(parts.join(" ")).toBe(text);
  });

  it("never cuts an emoji, a flag or a ZWJ sequence in half", () => {
    const emoji = ["😀", "👍🏽", "🇫🇷", "👩‍👩‍👧‍👦", "🎉", "é"];
    // No spaces at all: every cut falls between graphemes (the family is 11 code units long).
    const text = Array.from({ length: 600 }, (_, i) => emoji[i % emoji.length]).join("");
    for (const max of [11, 12, 13, 33, 160, 1600]) {
      const parts = splitText(text, max);
      expect(parts.join("")).toBe(text);
      for (const p of parts) {
        expect(p.length).toBeLessThanOrEqual(max);
        expect(hasLoneSurrogate(p)).toBe(false);
        expect(p.startsWith("\u200D")).toBe(false);
      }
      const seg = new Intl.Segmenter(undefined, { granularity: "grapheme" });
      const graphemes = (s: string) => [...seg.segment(s)].map((g) => g.segment);
      expect(parts.flatMap(graphemes)).toEqual(graphemes(text));
    }
  });

  it("splits a 2,000-character emoji-rich text into two parts of at most 1,600", () => {
    const sentence = "Hello 😀 wörld, ünïcode 🇫🇷 and 👩‍👩‍👧‍👦 families! ";
    let text = "";
    while (text.length < 2000) text += sentence;
    const parts = splitText(text.trimEnd(), 1600);
    expect(parts).toHaveLength(2);
    expect(parts.every((p) => p.length <= 1600 && !hasLoneSurrogate(p))).toBe(true);
    expect(parts.join(" ")).toBe(text.trimEnd());
  });

  it("cuts a word longer than a part at a grapheme boundary", () => {
    const parts = splitText(`short ${"x".repeat(250)}`, 100);
    expect(parts.every((p) => p.length <= 100)).toBe(true);
    expect(parts.join("")).toBe(`short ${"x".repeat(250)}`);
  });
});

describe("splitText cost", () => {
  afterEach(() => vi.restoreAllMocks());

  /** Characters handed to Intl.Segmenter while splitting `text`: the work splitting does. */
  const segmentedCharacters = (text: string, max: number) => {
    let total = 0;
    const original = Intl.Segmenter.prototype.segment;
    vi.spyOn(Intl.Segmenter.prototype, "segment").mockImplementation(function (
      this: Intl.Segmenter,
      input: string,
    ) {
      total += input.length;
      return original.call(this, input);
    });
    const parts = splitText(text, max);
    vi.restoreAllMocks();
    return { total, parts };
  };
  const words = (n: number) => "hello world lorem ipsum ".repeat(Math.ceil(n / 24)).slice(0, n);

  it("segments each character once: 250 KB costs ten times 25 KB, not a hundred", () => {
    const small = segmentedCharacters(words(25_000), 1600);
    const large = segmentedCharacters(words(250_000), 1600);
    expect(small.parts.length).toBeGreaterThanOrEqual(16);
    expect(large.parts.length).toBeGreaterThanOrEqual(157);
    // Quadratic splitting segmented the whole remaining text for every part (8x and 78x the text).
    expect(small.total).toBeLessThanOrEqual(2 * 25_000);
    expect(large.total).toBeLessThanOrEqual(2 * 250_000);
    expect(large.total / small.total).toBeLessThan(15);
  });

  it("splits a 250 KB emoji-rich text in well under a second", () => {
    const text = "Grüße 😀 from the gateway 🇫🇷 family 👩‍👩‍👧‍👦 ".repeat(6_000).trimEnd();
    expect(text.length).toBeGreaterThan(250_000);
    const t0 = performance.now();
    const parts = splitText(text, 1600);
    const ms = performance.now() - t0;
    expect(parts.join(" ")).toBe(text);
    // Generous: linear splitting takes a few hundred ms here; the quadratic one took minutes.
    expect(ms).toBeLessThan(2_000);
  });
});
