/**
 * Outbound mail through the configured SMTP relay (nodemailer, pooled connections, TLS and auth
 * from config, bounded timeouts). The relay's answers map to the core's errors: 5xx is permanent
 * (the sender is told the relay's text), 4xx, connection and timeout errors are retried; an
 * authentication failure is the operator's to fix and is retried too, with a generic user reason.
 */
import nodemailer from "nodemailer";
import { PermanentError, RetryableError } from "../../src/core/errors.js";
import type { ComposedMail } from "./compose.js";
import type { EmailConfig } from "./config.js";

/** Timeouts of one relay conversation (nodemailer's defaults are minutes). */
export const RELAY_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };
const MAX_CONNECTIONS = 5;

export interface Relay {
  send(mail: ComposedMail): Promise<void>;
  /** Connects and authenticates (check-config --connect). */
  verify(): Promise<void>;
  close(): void;
}

interface NodemailerError {
  readonly responseCode?: unknown;
  readonly response?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
}

function oneLine(text: string): string {
  return text
    .replace(/\p{Cc}+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** A relay's failure -> PermanentError (5xx) or RetryableError (everything else). */
export function relayError(err: unknown): PermanentError | RetryableError {
  const e = (typeof err === "object" && err !== null ? err : {}) as NodemailerError;
  const code = typeof e.responseCode === "number" ? e.responseCode : undefined;
  const reply = typeof e.response === "string" ? oneLine(e.response) : undefined;
  const what = reply ?? oneLine(typeof e.message === "string" ? e.message : String(err));
  const kind = typeof e.code === "string" ? e.code : undefined;
  if (code !== undefined && code >= 500 && code < 600 && kind !== "EAUTH") {
    return new PermanentError(`The mail relay refused the message: ${what}`, code);
  }
  const userReason =
    kind === "EAUTH"
      ? "The gateway could not log in to its mail relay."
      : code !== undefined
        ? `The mail relay deferred the message: ${what}`
        : "The mail relay could not be reached.";
  return new RetryableError(`mail relay: ${what}`, undefined, code ?? kind, userReason);
}

const bracket = (id: string) => `<${id}>`;

export function createRelay(config: EmailConfig["relay"]): Relay {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: MAX_CONNECTIONS,
    host: config.host,
    port: config.port,
    secure: config.secure,
    ...(config.user !== undefined && config.pass !== undefined
      ? { auth: { user: config.user, pass: config.pass } }
      : {}),
    ...RELAY_TIMEOUTS,
    logger: false,
  });
  return {
    async send(mail) {
      try {
        await transport.sendMail({
          from: mail.from.name ? { name: mail.from.name, address: mail.from.address } : mail.from.address,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          messageId: bracket(mail.messageId),
          ...(mail.inReplyTo === undefined ? {} : { inReplyTo: bracket(mail.inReplyTo) }),
          ...(mail.references === undefined ? {} : { references: mail.references.map(bracket) }),
          envelope: { from: mail.from.address, to: [mail.to] },
          disableFileAccess: true,
          disableUrlAccess: true,
        });
      } catch (err) {
        throw relayError(err);
      }
    },
    async verify() {
      try {
        await transport.verify();
      } catch (err) {
        throw relayError(err);
      }
    },
    close: () => transport.close(),
  };
}
