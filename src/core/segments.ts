/**
 * SMS segments: which encoding a text needs (GSM-7 or UCS-2), how many segments it costs, and
 * splitting a text that is too long for one provider message into parts on word boundaries.
 *
 * Facts: GSM 03.38 has a basic table (one septet per character) and an extension table reached
 * through an escape (two septets: ^ { } \ [ ~ ] | € and form feed). One segment holds 160 septets,
 * 153 per part when concatenated. A single character outside both tables makes the whole message
 * UCS-2: 70 UTF-16 code units, 67 per part (an emoji outside the BMP takes two).
 *
 * Splitting never cuts a grapheme (an emoji, a flag, a ZWJ family, a letter with combining marks):
 * cuts are made only at grapheme boundaries found with Intl.Segmenter.
 */

const GSM7_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION = "^{}\\[~]|€\f";

const BASIC: ReadonlySet<string> = new Set(GSM7_BASIC);
const EXTENSION: ReadonlySet<string> = new Set(GSM7_EXTENSION);

export type SmsEncoding = "GSM-7" | "UCS-2";

export interface SegmentInfo {
  readonly encoding: SmsEncoding;
  /** Septets (GSM-7, extension characters count 2) or UTF-16 code units (UCS-2). */
  readonly units: number;
  /** Segments the text costs; 0 for an empty text. */
  readonly segments: number;
}

/** Septets a text takes in GSM-7, or undefined when a character is outside GSM-7. */
export function gsm7Length(text: string): number | undefined {
  let units = 0;
  for (const ch of text) {
    if (BASIC.has(ch)) units += 1;
    else if (EXTENSION.has(ch)) units += 2;
    else return undefined;
  }
  return units;
}

export function countSegments(text: string): SegmentInfo {
  const gsm = gsm7Length(text);
  if (gsm !== undefined) {
    return { encoding: "GSM-7", units: gsm, segments: gsm === 0 ? 0 : gsm <= 160 ? 1 : Math.ceil(gsm / 153) };
  }
  const units = text.length;
  return { encoding: "UCS-2", units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const SPACE = /^\s+$/u;

/**
 * Splits `text` into parts of at most `maxLength` UTF-16 code units (the unit providers such as
 * Twilio count their 1600 "characters" in, or stricter), in order. Cuts at the last whitespace
 * that keeps the part at least half full (the whitespace at the cut is dropped), otherwise at the
 * last grapheme boundary. A text that fits is returned as it is (one part).
 */
export function splitText(text: string, maxLength: number): string[] {
  if (!Number.isInteger(maxLength) || maxLength < 8) throw new RangeError("maxLength must be at least 8");
  const parts: string[] = [];
  let rest = text;
  while (rest.length > maxLength) {
    let lastBoundary = 0;
    let lastSpace = -1;
    for (const { index, segment } of graphemes.segment(rest)) {
      if (index > maxLength) break;
      lastBoundary = index;
      if (index > 0 && SPACE.test(segment)) lastSpace = index;
      if (index + segment.length <= maxLength) lastBoundary = index + segment.length;
    }
    let cut: number;
    let resume: number;
    if (lastSpace >= maxLength / 2) {
      cut = lastSpace;
      resume = lastSpace;
      while (resume < rest.length && /\s/u.test(rest[resume] ?? "")) resume++;
    } else if (lastBoundary > 0) {
      cut = lastBoundary;
      resume = lastBoundary;
    } else {
      // One grapheme longer than a whole part (absurd, but possible): cut between code points.
      cut = maxLength;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--;
      resume = cut;
    }
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(resume);
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}
