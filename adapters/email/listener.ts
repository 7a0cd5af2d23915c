/**
 * The SMTP listener for inbound mail (smtp-server), meant to sit behind a real MTA that does
 * SPF/DKIM/DMARC. Never an open relay: RCPT TO is accepted only for provisioned addresses (550
 * for any other). A mail over maxMessageBytes is refused with 552 (SIZE is advertised, and the
 * data is not kept past the limit). 250 is answered only once the events are enqueued (the same
 * promise as webhooks); when that fails (Redis away) or the recipient cannot be looked up, the
 * answer is 451, so the sending MTA keeps the mail and retries.
 */
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import type { AdapterDeps, InboundListener } from "../../src/core/adapter.js";
import { canonicalEmail } from "./address.js";
import { type EmailConfig, splitHostPort } from "./config.js";
import { eventsFor } from "./events.js";
import { parseMail } from "./parse.js";
import { type ThreadStore, threadRefOf } from "./threads.js";

export interface ListenerDeps {
  readonly logger: AdapterDeps["logger"];
  readonly emit: AdapterDeps["emit"];
  readonly threads: ThreadStore;
  /** Whether `address` (canonical) is a provisioned user's address on this gateway. */
  readonly isUser: (address: string) => Promise<boolean>;
}

export interface EmailListener extends InboundListener {
  /** The port listened on once started (config's, or the one picked for port 0). */
  port(): number;
}

const MAX_RECIPIENTS = 100;
/**
 * Connections at once: each may hold up to maxMessageBytes while its mail is parsed. The MTA in
 * front opens a few (Postfix: 20 per destination at most) and retries on 421 beyond this.
 */
const MAX_CLIENTS = 20;
const CLOSE_TIMEOUT_MS = 5_000;

function smtpError(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

function readCapped(stream: SMTPServerDataStream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    stream.on("data", (chunk: Buffer) => {
      if (kept + chunk.length > limit) return; // refused as oversized at the end; not kept
      chunks.push(chunk);
      kept += chunk.length;
    });
    stream.once("end", () => resolve(Buffer.concat(chunks)));
    stream.once("error", reject);
  });
}

/**
 * One received mail: parsed, turned into events and enqueued; resolves with the 250 text, or
 * throws the SMTP error to answer (554 unreadable, 451 not enqueued).
 */
async function accept(
  raw: Buffer,
  session: SMTPServerSession,
  deps: ListenerDeps,
  log: ListenerDeps["logger"],
): Promise<string> {
  const mail = await parseMail(raw).catch((err: unknown) => {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, "unreadable inbound mail refused");
    throw smtpError(554, "The message could not be parsed");
  });
  const recipients = session.envelope.rcptTo.flatMap((r) => canonicalEmail(r.address) ?? []);
  const envelope = { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", recipients };
  const events = eventsFor(mail, envelope, raw);
  if (events.length === 0) {
    log.info(
      { messageId: mail.messageId, bounce: mail.bounce !== undefined },
      "inbound mail with nothing to deliver: accepted and dropped",
    );
    return "Accepted";
  }
  try {
    await deps.emit(events);
  } catch (err) {
    log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      "inbound mail not enqueued: answered 451",
    );
    throw smtpError(451, "Temporary failure, please try again later");
  }
  const ref = mail.messageId === undefined ? undefined : threadRefOf(mail.messageId, mail.references);
  if (ref !== undefined && events[0]?.kind === "message") {
    for (const e of events) {
      if (e.kind === "message") await deps.threads.remember(e.to, e.from, ref).catch(() => undefined);
    }
  }
  return "Queued";
}

export function createEmailListener(config: EmailConfig, deps: ListenerDeps): EmailListener {
  const { host, port: configuredPort } = splitHostPort(config.listen) ?? { host: "127.0.0.1", port: 2525 };
  const log = deps.logger.child({ listener: "smtp" });

  const server = new SMTPServer({
    banner: "xmpp-gateway",
    size: config.maxMessageBytes,
    rejectOversized: true,
    authOptional: true,
    // Behind an MTA on a private network: no AUTH, no STARTTLS (smtp-server's default certificate).
    disabledCommands: ["AUTH", "STARTTLS"],
    disableReverseLookup: true,
    maxRecipients: MAX_RECIPIENTS,
    maxClients: MAX_CLIENTS,
    // On stop, connections still open are cut after this (the MTA retries what was cut short),
    // well inside the CLI's 15 s shutdown.
    closeTimeout: CLOSE_TIMEOUT_MS,
    logger: false,
    onRcptTo(address, _session, callback) {
      const to = canonicalEmail(address.address);
      if (to === undefined) return callback(smtpError(553, "Not a valid recipient address"));
      deps.isUser(to).then(
        (known) => callback(known ? null : smtpError(550, "No such user here")),
        () => callback(smtpError(451, "Temporary failure, please try again later")),
      );
    },
    onData(stream, session, callback) {
      readCapped(stream, config.maxMessageBytes)
        .then((raw) => {
          if (stream.sizeExceeded) throw smtpError(552, "Message too large");
          return accept(raw, session, deps, log);
        })
        .then(
          (text) => callback(null, text),
          (err: unknown) => callback(err instanceof Error ? err : smtpError(451, "Temporary failure")),
        );
    },
  });
  server.on("error", (err) => log.warn({ err: err.message }, "SMTP listener error"));

  let boundPort = configuredPort;
  return {
    listen: { address: config.listen, option: "email.listen" },
    port: () => boundPort,
    start: () =>
      new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        server.server.once("error", onError);
        server.listen(configuredPort, host, () => {
          server.server.off("error", onError);
          const address = server.server.address();
          if (typeof address === "object" && address !== null) boundPort = address.port;
          log.info({ listen: `${host}:${boundPort}` }, "SMTP listener started");
          resolve();
        });
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
