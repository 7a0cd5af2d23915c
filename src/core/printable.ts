/**
 * Text made safe for a terminal: what the CLI prints of job data (stanza ids, reasons, the start
 * of a body) may hold terminal escapes (ESC[2J clears the screen, OSC sequences set the title or
 * write files on some terminals), bidi overrides that reorder what is shown, or line breaks that
 * forge extra output lines. C0 and C1 controls, DEL, format characters (except the zero-width
 * joiner of emoji sequences), line and paragraph separators and lone surrogates are written as
 * `\xNN` or `\u{NNNN}`; a backslash as `\\`, so the escaped form is unambiguous.
 */

const UNSAFE = /[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

export function printable(text: string, options: { keepNewlines?: boolean } = {}): string {
  return text.replace(UNSAFE, (ch) => {
    if (ch === "\\") return "\\\\";
    if (ch === "\u200d") return ch;
    if (ch === "\n" && options.keepNewlines) return ch;
    const code = ch.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
}
