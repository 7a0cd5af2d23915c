/** What the CLI prints: one-line failures with an exit code, and text safe for a terminal. */
import { printable } from "../core/printable.js";
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

export { printable } from "../core/printable.js";
