/**
 * pino, writing JSON lines. Secrets never reach a log line: known secret values (component
 * secrets, provider tokens) are scrubbed from every line written, and the usual secret-bearing
 * fields are redacted by name as well.
 */
import { pino } from "pino";
import type { Logger } from "../core/logger.js";

export interface LoggerOptions {
  readonly level: string;
  /** Values that must never appear in output (scrubbed wherever they occur). */
  readonly secrets: readonly string[];
  /** Where lines go; stdout by default. */
  readonly destination?: { write(line: string): unknown };
}

const REDACT_PATHS = [
  "secret",
  "password",
  "authToken",
  "authorization",
  "*.secret",
  "*.password",
  "*.authToken",
  "*.authorization",
  "*.Authorization",
  "headers.authorization",
  "*.headers.authorization",
  "*.headers.Authorization",
];

export function createLogger(options: LoggerOptions): Logger {
  const secrets = [...new Set(options.secrets.filter((s) => s.length >= 4))].sort(
    (a, b) => b.length - a.length,
  );
  const variants = secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
  const scrub = (line: string): string => {
    let out = line;
    for (const s of variants) if (out.includes(s)) out = out.split(s).join("[REDACTED]");
    return out;
  };
  const destination = options.destination ?? pino.destination({ fd: 1, sync: false });
  const stream = {
    write(line: string) {
      destination.write(scrub(line));
    },
  };
  return pino(
    {
      level: options.level,
      base: { name: "xmpp-gateway" },
      redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
      serializers: { err: pino.stdSerializers.err },
    },
    stream,
  );
}
