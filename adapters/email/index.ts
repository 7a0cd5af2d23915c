/**
 * The email adapter: contacts are XEP-0106-escaped email addresses (bob\40example.com@<domain>),
 * outbound mail goes through the configured SMTP relay (one mail per message, threaded per user
 * and contact), inbound mail comes in through an SMTP listener behind the operator's MTA, and
 * bounces become failed delivery reports. Stateless: threading state is the ThreadStore's.
 */
import type { AdapterDeps, NetworkAdapter, OutboundMessage, SendResult } from "../../src/core/adapter.js";
import { RetryableError } from "../../src/core/errors.js";
import { formatEmailAddress, parseEmailLocalpart } from "./address.js";
import { composeMail, type EmailOutbound } from "./compose.js";
import { type EmailConfigInput, emailConfigSchema } from "./config.js";
import { EMAIL_CAPABILITIES, EMAIL_FACE } from "./face.js";
import { createEmailListener, type EmailListener } from "./listener.js";
import { type ConfiguredUser, configuredAddresses } from "./provisioned.js";
import { createRelay, type Relay } from "./relay.js";
import { memoryThreadStore, type ThreadRef, type ThreadStore } from "./threads.js";

export { configAddressProblem } from "./address.js";
export { type EmailConfig, type EmailConfigInput, emailConfigSchema, emailDefaultPacing } from "./config.js";
export { memoryThreadStore, type ThreadRef, type ThreadStore } from "./threads.js";

/** What the email adapter needs beyond the common deps (the core must provide both). */
export interface EmailAdapterDeps extends AdapterDeps {
  /** Last Message-ID per (user, contact): In-Reply-To and References of the next mail. */
  readonly threads: ThreadStore;
  /** Whether an address is a provisioned user of this gateway (the listener's RCPT TO check). */
  readonly isUser: (address: string) => Promise<boolean>;
}

export interface EmailAdapterOptions {
  readonly gatewayId: string;
  /** The `email:` block as written (parsed here, defaults applied). */
  readonly email: EmailConfigInput;
  /** For tests: a relay other than nodemailer's. */
  readonly relay?: Relay;
}

export interface EmailAdapter extends NetworkAdapter {
  readonly listeners: readonly EmailListener[];
}

export function createEmailAdapter(options: EmailAdapterOptions, deps: EmailAdapterDeps): EmailAdapter {
  const config = emailConfigSchema.parse(options.email);
  const logger = deps.logger.child({ adapter: "email", gatewayId: options.gatewayId });
  const relay = options.relay ?? createRelay(config.relay);
  const listener = createEmailListener(config, { ...deps, logger });
  let closed = false;

  async function lastMail(own: string, peer: string): Promise<ThreadRef | undefined> {
    try {
      return await deps.threads.last(own, peer);
    } catch (err) {
      // Threading is a nicety: a mail without In-Reply-To beats no mail.
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, "thread lookup failed");
      return undefined;
    }
  }

  async function send(msg: OutboundMessage): Promise<SendResult> {
    if (closed) throw new RetryableError("the email adapter is closed");
    const mail = composeMail(msg as EmailOutbound, await lastMail(msg.from, msg.to));
    await relay.send(mail);
    const references = mail.references ?? [];
    await deps.threads
      .remember(msg.from, msg.to, { messageId: mail.messageId, references })
      .catch((err: unknown) =>
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, "thread update failed"),
      );
    return { providerMessageId: mail.messageId };
  }

  return {
    kind: "email",
    capabilities: EMAIL_CAPABILITIES,
    face: EMAIL_FACE,
    listeners: [listener],
    parseAddress: parseEmailLocalpart,
    formatAddress: formatEmailAddress,
    send,
    async checkAccount() {
      await relay.verify();
      return `SMTP relay ${config.relay.host}:${config.relay.port} accepts connections${config.relay.user ? ` as ${config.relay.user}` : ""}`;
    },
    async close() {
      closed = true;
      relay.close();
    },
  };
}

/**
 * The registry's factory (src/main.ts): threads and the recipient check from the core (its thread
 * store and its registrations); without them (a bare AdapterDeps, as in unit tests) threads are
 * kept in memory and the config's users are the provisioned addresses.
 */
export function createEmailGateway(
  gateway: { readonly id: string; readonly users: readonly ConfiguredUser[] },
  email: EmailConfigInput,
  deps: AdapterDeps,
): EmailAdapter {
  return createEmailAdapter(
    { gatewayId: gateway.id, email },
    {
      ...deps,
      threads: deps.threads ?? memoryThreadStore(),
      isUser: deps.isRegistered ?? configuredAddresses(gateway.users),
    },
  );
}

/** Registry entry for the composition root: the config block lives at `gateways[i].email`. */
export const emailAdapterModule = {
  kind: "email",
  configSchema: emailConfigSchema,
  create: createEmailAdapter,
} as const;
