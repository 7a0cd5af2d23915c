/** What the CLI prints: one-line failures with an exit code, and text safe for a terminal. */
import { EXIT, StartupError } from "../core/startup-error.js";

/** Prints `xmpp-gateway: <message>` on stderr and exits with `code`. */
export function die(message: string, code: number): never {
  process.stderr.write(`xmpp-gateway: ${printable(message)}\n`);
  process.exit(code);
}

/** A StartupError as its one line and exit code; anything else as a one-line bug report. */
export function dieOf(err: unknown, what: string): never {
  if (err instanceof StartupError) die(err.message, err.exitCode);
  const reason = err instanceof Error ? (err.message.split("\n")[0] ?? err.name) : String(err);
  die(`${what} failed: ${reason}`, EXIT.software);
}

/**
 * Control characters (terminal escapes in job data, for instance) shown as \u{..} escapes, so
 * printing a value can never move the cursor, retitle the terminal or hide text.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly what we escape
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === "\t") return "\\t";
    if (c === "\n") return "\\n";
    return `\\u{${c.charCodeAt(0).toString(16)}}`;
  });
}
