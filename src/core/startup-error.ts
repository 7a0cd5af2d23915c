/**
 * A start-up failure an operator can act on: one line saying what and why, and the process exit
 * code (sysexits.h). `xmpp-gateway` prints the message alone, without a stack trace.
 */
export class StartupError extends Error {
  override readonly name = "StartupError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Exit codes of `xmpp-gateway` (sysexits.h where one fits). */
export const EXIT = {
  /** A fatal runtime error such as a refused component secret. */
  fatal: 2,
  /** EX_USAGE: the command line is wrong. */
  usage: 64,
  /** EX_UNAVAILABLE: a service is not there right now (Redis unreachable, port in use). */
  unavailable: 69,
  /** EX_SOFTWARE: an unexpected error (a bug). */
  software: 70,
  /** EX_CONFIG: a configuration mistake; restarting will not help. */
  config: 78,
} as const;
