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

/** One grapheme of a text: where it starts, its length in UTF-16 code units, whether it is whitespace. */
export interface Grapheme {
  readonly index: number;
  readonly length: number;
  readonly space: boolean;
}

const WINDOW = 512;
/** Code units segmented past a window's end, so its last trusted boundary sees what follows it. */
const LOOKAHEAD = 16;

/**
 * The graphemes of `text`, in order, exactly as Intl.Segmenter finds them in the whole text, but
 * segmenting bounded windows: V8's segment iterator costs more per step the longer the string
 * (40,000 characters took 0.7 s in one pass), so each window starts at a boundary already found
 * and only boundaries with LOOKAHEAD code units after them are trusted. Grapheme rules look back
 * only within a cluster and ahead one code point, so a window starting at a boundary agrees with
 * the whole text there. A grapheme longer than a window widens the window until it fits.
 */
export function* graphemesOf(text: string, window = WINDOW): Generator<Grapheme> {
  let from = 0;
  let size = window;
  while (from < text.length) {
    const last = from + size + LOOKAHEAD >= text.length;
    let trusted = 0;
    for (const { index, segment } of graphemes.segment(text.slice(from, from + size + LOOKAHEAD))) {
      const end = index + segment.length;
      if (!last && end > size) break;
      yield { index: from + index, length: segment.length, space: SPACE.test(segment) };
      trusted = end;
    }
    if (trusted === 0) size *= 2;
    else {
      from += trusted;
      size = window;
    }
  }
}

/**
 * Splits `text` into parts of at most `maxLength` UTF-16 code units (the unit providers such as
 * Twilio count their 1600 "characters" in, or stricter), in order. Cuts at the last whitespace
 * that keeps the part at least half full (the whitespace at the cut is dropped), otherwise at the
 * last grapheme boundary. A text that fits is returned as it is (one part).
 *
 * Linear in the text: its graphemes are found once, in bounded windows (segmenting the whole
 * rest again for every part made a 250 KB text take minutes), and each part scans only the
 * boundaries inside its own maxLength.
 */
export function splitText(text: string, maxLength: number): string[] {
  if (!Number.isInteger(maxLength) || maxLength < 8) throw new RangeError("maxLength must be at least 8");
  if (text.length <= maxLength) return [text];
  // Start of every grapheme, whether it is whitespace, and the end of the text as a last boundary.
  const starts: number[] = [];
  const spaces: boolean[] = [];
  for (const { index, space } of graphemesOf(text)) {
    starts.push(index);
    spaces.push(space);
  }
  starts.push(text.length);
  spaces.push(false);

  const parts: string[] = [];
  let start = 0;
  let g = 0; // first grapheme starting at or after `start`
  while (text.length - start > maxLength) {
    const limit = start + maxLength;
    let lastBoundary = start;
    let lastSpace = -1; // grapheme index of the last whitespace grapheme inside the window
    let k = g;
    for (; (starts[k] ?? Number.POSITIVE_INFINITY) <= limit; k++) {
      const at = starts[k] ?? 0;
      if (at <= start) continue;
      lastBoundary = at;
      if (spaces[k]) lastSpace = k;
    }
    let cut: number;
    let resume: number;
    if (lastSpace >= 0 && (starts[lastSpace] ?? 0) - start >= maxLength / 2) {
      cut = starts[lastSpace] ?? 0;
      // Drop the whole run of whitespace graphemes at the cut.
      let r = lastSpace;
      while (spaces[r]) r++;
      resume = starts[r] ?? text.length;
    } else if (lastBoundary > start) {
      cut = lastBoundary;
      resume = lastBoundary;
    } else {
      // One grapheme longer than a whole part (absurd, but possible): cut between code points.
      cut = limit;
      const code = text.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--;
      resume = cut;
    }
    const part = text.slice(start, cut).trimEnd();
    if (part.length > 0) parts.push(part);
    start = resume;
    while ((starts[g] ?? Number.POSITIVE_INFINITY) < start) g++;
  }
  if (start < text.length || parts.length === 0) parts.push(text.slice(start));
  return parts;
}
