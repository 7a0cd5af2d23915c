/**
 * A recording SMTP sink (smtp-server in-process) on a free loopback port: the internet beyond the
 * test MTA. It keeps every message it accepts (envelope and raw bytes) and can refuse chosen
 * recipients with a given reply, so the MTA bounces or defers them.
 */
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream } from "smtp-server";
import { freePort, LOOPBACK } from "./ports.js";
import { waitFor } from "./wait.js";

export interface SunkMail {
  readonly from: string;
  readonly to: readonly string[];
  readonly raw: string;
}

export interface SmtpSink {
  readonly port: number;
  readonly mails: readonly SunkMail[];
  /** Refuse RCPT TO `address` with `code` and `text` (e.g. 550 "no such user"). */
  refuse(address: string, code: number, text: string): void;
  /** Accept `address` again. */
  accept(address: string): void;
  /** Waits for the nth (1-based) mail to `to` and returns it. */
  waitForMail(to: string, nth?: number, timeoutMs?: number): Promise<SunkMail>;
  close(): Promise<void>;
}

function smtpError(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: SunkMail[] = [];
  const refusals = new Map<string, { code: number; text: string }>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const refusal = refusals.get(address.address.toLowerCase());
      callback(refusal ? smtpError(refusal.code, refusal.text) : null);
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        mails.push({ from, to, raw: Buffer.concat(chunks).toString("utf8") });
        callback(null);
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, LOOPBACK, () => resolve());
  });
  return {
    port,
    mails,
    refuse(address, code, text) {
      refusals.set(address.toLowerCase(), { code, text });
    },
    accept(address) {
      refusals.delete(address.toLowerCase());
    },
    waitForMail(to, nth = 1, timeoutMs = 15_000) {
      const want = to.toLowerCase();
      return waitFor(() => mails.filter((m) => m.to.includes(want))[nth - 1], {
        timeoutMs,
        description: `mail #${nth} to ${to} at the sink`,
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
