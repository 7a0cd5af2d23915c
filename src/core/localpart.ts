/**
 * XEP-0106 JID escaping: how a network address that holds characters a JID localpart cannot
 * (space " & ' / : < > @) becomes a localpart and back, e.g. `alice@example.com` <->
 * `alice\40example.com`.
 *
 * Rules followed (XEP-0106 sections 3 and 4):
 * - each of the ten characters in ESCAPES is written as a backslash and two lowercase hex digits;
 * - a backslash is escaped (as `\5c`) only when the characters after it would otherwise read as one
 *   of those ten escape sequences (`c:\net` stays `c:\net`, `c:\5commas` becomes `c\3a\5c5commas`);
 * - a localpart never starts or ends with `\20`, so an address with leading or trailing spaces is
 *   refused rather than silently changed.
 * Unescaping decodes exactly the ten sequences and leaves any other backslash alone.
 */
import { AddressError } from "./errors.js";

/** The XEP-0106 table: character -> escape sequence. */
export const ESCAPES: Readonly<Record<string, string>> = {
  " ": "\\20",
  '"': "\\22",
  "&": "\\26",
  "'": "\\27",
  "/": "\\2f",
  ":": "\\3a",
  "<": "\\3c",
  ">": "\\3e",
  "@": "\\40",
  "\\": "\\5c",
};

const UNESCAPES: ReadonlyMap<string, string> = new Map(
  Object.entries(ESCAPES).map(([char, seq]) => [seq, char] as const),
);

/** One of the ten escape sequences, lowercase hex as the table writes them. */
const SEQUENCE = /\\(?:20|22|26|27|2f|3a|3c|3e|40|5c)/g;

/** Characters always escaped, and a backslash when an escape sequence follows it. */
const TO_ESCAPE = /[ "&'/:<>@]|\\(?=20|22|26|27|2f|3a|3c|3e|40|5c)/g;

/**
 * Escapes `s` for use as a JID localpart. Throws AddressError for an empty string or one that
 * starts or ends with a space (XEP-0106 forbids a localpart starting or ending with `\20`).
 */
export function escapeLocalpart(s: string): string {
  if (s.length === 0) {
    throw new AddressError("an empty address cannot be a JID localpart");
  }
  if (s.startsWith(" ") || s.endsWith(" ")) {
    throw new AddressError(`"${s}" starts or ends with a space and cannot be a JID localpart`);
  }
  return s.replace(TO_ESCAPE, (char) => ESCAPES[char] ?? char);
}

/** Reverses escapeLocalpart: decodes the ten XEP-0106 sequences, leaves other backslashes. */
export function unescapeLocalpart(s: string): string {
  return s.replace(SEQUENCE, (seq) => UNESCAPES.get(seq) ?? seq);
}
