/**
 * Splitting long texts, for any text: the windowed grapheme finder agrees with Intl.Segmenter run
 * over the whole text, and splitText keeps its guarantees (parts within the limit, no broken
 * grapheme, nothing lost but the whitespace at cuts).
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { graphemesOf, splitText } from "../../adapters/sms-kit/segments.js";
import { configureProperties, wildUnit } from "./arbitraries.js";

beforeAll(() => configureProperties(300));

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const graphemes = (s: string) => [...segmenter.segment(s)].map((g) => g.segment);

/** Pieces whose grapheme rules reach across code points: flags, ZWJ families, marks, Hangul, Indic. */
const tricky = fc.constantFrom(
  " ",
  "  ",
  "\n",
  "\r\n",
  "\t",
  "\u3000",
  "word",
  "é",
  "e\u0301",
  "\u0301",
  "\u200D",
  "😀",
  "👍🏽",
  "🇫🇷",
  "🇯",
  "👩‍👩‍👧‍👦",
  "🏳️‍🌈",
  "\u1100\u1161\u11A8", // Hangul L V T
  "क्षि", // Devanagari conjunct
  "\u0915\u094D\u200D\u0937",
  "\uD83D", // lone surrogate
);
const text = (maxLength: number) =>
  fc.oneof(
    fc
      .array(fc.oneof(tricky, fc.string({ unit: wildUnit, maxLength: 6 })), { maxLength })
      .map((a) => a.join("")),
    fc.string({ unit: "grapheme", maxLength }),
  );
const hasLoneSurrogate = (s: string) =>
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe("graphemesOf", () => {
  it("finds exactly the graphemes of the whole text, whatever the window", () => {
    fc.assert(
      fc.property(text(300), fc.integer({ min: 1, max: 40 }), (t, window) => {
        const found = [...graphemesOf(t, window)].map((g) => t.slice(g.index, g.index + g.length));
        expect(found).toEqual(graphemes(t));
      }),
    );
  });
});

describe("splitText", () => {
  it("keeps parts within the limit, cuts no grapheme and loses only whitespace at cuts", () => {
    fc.assert(
      fc.property(text(400), fc.integer({ min: 8, max: 120 }), (t, max) => {
        const parts = splitText(t, max);
        expect(parts.length).toBeGreaterThan(0);
        if (t.length <= max) expect(parts).toEqual([t]);
        for (const p of parts) expect(p.length).toBeLessThanOrEqual(max);
        const strip = (s: string) => s.replace(/\s/gu, "");
        expect(parts.map(strip).join("")).toBe(strip(t));
        // Graphemes that fit in a part are never cut (longer ones cannot be kept whole).
        if (graphemes(t).every((g) => g.length <= max)) {
          const keep = (gs: string[]) => gs.filter((g) => strip(g) !== "");
          expect(keep(parts.flatMap(graphemes))).toEqual(keep(graphemes(t)));
          if (!hasLoneSurrogate(t)) for (const p of parts) expect(hasLoneSurrogate(p)).toBe(false);
        }
      }),
    );
  });
});
