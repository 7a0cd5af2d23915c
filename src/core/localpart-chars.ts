/**
 * A network address that becomes a JID localpart must survive the server's nodeprep (RFC 3920
 * appendix A, over RFC 3454 stringprep): a `from` that fails it is bounced as `jid-malformed`
 * (Prosody 0.12, ejabberd 23.01) and the message never reaches the user. XEP-0106 escaping covers
 * ten characters; this covers the rest, for senders the network hands over as free text
 * (alphanumeric sender ids, and whatever a hostile webhook puts in From):
 *
 * 1. NFKC first, as stringprep does: so "＠" becomes "@" and is escaped, and "¨" (NFKC " ̈")
 *    gets its space escaped, rather than failing at the server;
 * 2. every code point nodeprep prohibits (tables C.1.2-C.9: controls, non-ASCII spaces, private
 *    use, noncharacters, lone surrogates, U+FFF9-U+FFFD, ideographic description characters,
 *    bidi and tag characters) becomes LOCALPART_REPLACEMENT ("?", which every profile allows;
 *    U+FFFD cannot be used: nodeprep prohibits it);
 * 3. the bidi rule (RFC 3454 section 6): a localpart with right-to-left characters must hold
 *    no left-to-right one and start and end with a right-to-left one; unless it surely does, its
 *    characters from right-to-left blocks are replaced too;
 * 4. at most MAX_TEXT_BYTES of UTF-8 before escaping (escaping at most triples it; a localpart
 *    holds 1023 bytes).
 * The result is what the user sees and can write back to; replaced characters cannot be written
 * back, so such a sender cannot be answered (a reply gets the adapter's address error).
 */
import { escapeLocalpart } from "./localpart.js";

export const LOCALPART_REPLACEMENT = "?";
const MAX_TEXT_BYTES = 341;

/** RFC 3454 tables C.1.2, C.2.1, C.2.2, C.3-C.9 (what stringprep maps to nothing is left alone). */
const PROHIBITED = new RegExp(
  "[" +
    "\\u0000-\\u001F\\u007F-\\u009F\\u00A0\\u0340\\u0341\\u06DD\\u070F\\u1680\\u180E\\u2000-\\u200A" +
    "\\u200E\\u200F\\u2028-\\u202F\\u205F\\u2061-\\u2063\\u206A-\\u206F\\u2FF0-\\u2FFB\\u3000" +
    "\\uD800-\\uDFFF\\uE000-\\uF8FF\\uFDD0-\\uFDEF\\uFFF9-\\uFFFF" +
    "\\u{1D173}-\\u{1D17A}\\u{E0001}\\u{E0020}-\\u{E007F}\\u{F0000}-\\u{10FFFF}" +
    "\\u{1FFFE}\\u{1FFFF}\\u{2FFFE}\\u{2FFFF}\\u{3FFFE}\\u{3FFFF}\\u{4FFFE}\\u{4FFFF}\\u{5FFFE}\\u{5FFFF}" +
    "\\u{6FFFE}\\u{6FFFF}\\u{7FFFE}\\u{7FFFF}\\u{8FFFE}\\u{8FFFF}\\u{9FFFE}\\u{9FFFF}\\u{AFFFE}\\u{AFFFF}" +
    "\\u{BFFFE}\\u{BFFFF}\\u{CFFFE}\\u{CFFFF}\\u{DFFFE}\\u{DFFFF}\\u{EFFFE}\\u{EFFFF}" +
    "]",
  "gu",
);

/**
 * Where right-to-left characters (bidi class R or AL) live. Servers check the bidi rule with their
 * own Unicode data (Prosody 0.12 on Debian uses ICU 72, Unicode 15, where unassigned code points
 * in these blocks count as R or AL too), not with RFC 3454's table D.1 of Unicode 3.2; these are
 * the blocks whose default bidi class is R or AL (DerivedBidiClass.txt), so anything outside them
 * is no right-to-left character for any Unicode version.
 */
const RTL_BLOCKS =
  "\\u0590-\\u08FF\\u200F\\uFB1D-\\uFDFF\\uFE70-\\uFEFF\\u{10800}-\\u{10FFF}\\u{1E800}-\\u{1EFFF}";
const MAYBE_RTL = new RegExp(`[${RTL_BLOCKS}]`, "u");
const MAYBE_RTL_ALL = new RegExp(`[${RTL_BLOCKS}]`, "gu");
/**
 * A string the bidi rule accepts for sure: it starts and ends with a letter of those blocks (R or
 * AL), and holds nothing that could be a left-to-right character (only those blocks, ASCII
 * digits and punctuation, combining marks).
 */
const RTL_LETTER = `(?=[${RTL_BLOCKS}])\\p{L}`;
const PURE_RTL = new RegExp(
  `^${RTL_LETTER}(?:[${RTL_BLOCKS}\\u0020-\\u0040\\u005B-\\u0060\\u007B-\\u007E\\p{Mn}\\p{Me}]*${RTL_LETTER})?$`,
  "u",
);

const utf8Length = (cp: number) => (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);

/** At most `max` bytes of UTF-8, cut between code points. */
function clipBytes(s: string, max: number): string {
  if (s.length * 3 <= max) return s;
  let bytes = 0;
  let end = 0;
  for (const c of s) {
    bytes += utf8Length(c.codePointAt(0) ?? 0);
    if (bytes > max) return s.slice(0, end);
    end += c.length;
  }
  return s;
}

/** Text -> a XEP-0106 escaped localpart that nodeprep accepts; never throws. */
export function jidSafeLocalpart(address: string): string {
  const text = clipBytes(
    address.normalize("NFKC").replace(PROHIBITED, LOCALPART_REPLACEMENT),
    MAX_TEXT_BYTES,
  );
  const escaped = escapeLocalpart(text.trim() || LOCALPART_REPLACEMENT);
  if (!MAYBE_RTL.test(escaped) || PURE_RTL.test(escaped)) return escaped;
  return escaped.replace(MAYBE_RTL_ALL, LOCALPART_REPLACEMENT);
}
