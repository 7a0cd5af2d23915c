/**
 * pino. JSON lines by default; "pretty" (pino-pretty: time, level, message and fields on one
 * readable line) for people at a terminal. Secrets never reach a log line in either form: known
 * secret values (component secrets, provider tokens) are scrubbed from every JSON line before it
 * is written or prettified, and the usual secret-bearing fields are redacted by name as well
 * (redact-fields.ts).
 */
import { createRequire } from "node:module";
import { type Logger as PinoLogger, pino } from "pino";
import type { Logger } from "../core/logger.js";
import { redactFields, redactLine } from "./redact-fields.js";
import { TurnLines } from "./turn-lines.js";

export type LogFormat = "json" | "pretty";

export interface LoggerOptions {
  readonly level: string;
  /** Values that must never appear in output (scrubbed wherever they occur). */
  readonly secrets: readonly string[];
  /** Where lines go; stdout by default. */
  readonly destination?: { write(line: string): unknown };
  /** Default json. */
  readonly format?: LogFormat;
  /** Colours in pretty lines (default: when stdout is a terminal). */
  readonly colorize?: boolean;
}

/** A logger whose level (its own and every child's) can change while it runs (SIGHUP). */
export type GatewayLogger = Logger & {
  readonly level: string;
  setLevel(level: string): void;
};

/** "json" or "pretty" for a log.format setting: "auto" is pretty only on a terminal. */
export function resolveLogFormat(setting: "auto" | LogFormat, isTty: boolean): LogFormat {
  return setting === "auto" ? (isTty ? "pretty" : "json") : setting;
}

function prettifier(colorize: boolean): (jsonLine: string) => string {
  // Loaded only when asked for: JSON logging (production) never pays for it.
  const require = createRequire(import.meta.url);
  const { prettyFactory } = require("pino-pretty") as typeof import("pino-pretty");
  return prettyFactory({ colorize, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,name" });
}

export function createLogger(options: LoggerOptions): GatewayLogger {
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
  const pretty =
    options.format === "pretty" ? prettifier(options.colorize ?? process.stdout.isTTY === true) : undefined;
  // JSON lines to stdout go out one chunk per turn (turn-lines.ts); a destination given by the
  // caller, and pretty lines (prettified one by one, for a terminal), line by line.
  const stream =
    options.destination === undefined && pretty === undefined
      ? new TurnLines((chunk) => destination.write(scrub(chunk)))
      : {
          write(line: string) {
            const clean = scrub(line);
            destination.write(pretty ? pretty(clean) : clean);
          },
        };
  // Children keep the level they were made with; these are re-levelled by setLevel. They are
  // made at start-up (one per role and adapter), so the set stays small.
  const children = new Set<WeakRef<PinoLogger>>();
  const root = pino(
    {
      level: options.level,
      base: { name: "xmpp-gateway" },
      formatters: { log: redactLine },
      serializers: { err: (err: unknown) => redactFields(pino.stdSerializers.err(err as Error)) },
      onChild: (child) => {
        children.add(new WeakRef(child));
      },
    },
    stream,
  );
  // pino formats no child's bindings (it resets the bindings formatter for children), so they
  // are redacted on the way in; children and theirs inherit this `child` from the root.
  const pinoChild = root.child;
  root.child = function redactedChild(this: PinoLogger, bindings, childOptions) {
    return pinoChild.call(this, redactLine(bindings), childOptions);
  } as typeof root.child;
  return Object.assign(root, {
    setLevel(level: string) {
      root.level = level;
      for (const ref of children) {
        const child = ref.deref();
        if (child) child.level = level;
        else children.delete(ref);
      }
    },
  });
}
