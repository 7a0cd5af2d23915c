/**
 * The Twilio adapter: SMS/MMS through Twilio Programmable Messaging (or a Twilio-compatible API
 * at another base URL). Sends with the official SDK, receives through signed webhooks.
 */
import { LRUCache } from "lru-cache";
import twilio from "twilio";
import type { MessageListInstanceCreateOptions } from "twilio/lib/rest/api/v2010/account/message.js";
import { z } from "zod";
import type {
  Account,
  AdapterDeps,
  Capabilities,
  NetworkAdapter,
  OutboundMessage,
  SendResult,
} from "../../src/core/adapter.js";
import { PermanentError } from "../../src/core/errors.js";
import {
  type DestinationRules,
  formatSmsAddress,
  type NumberCheck,
  parseSmsLocalpart,
  smsCapabilities,
} from "../sms-kit/index.js";
import { type TwilioConfig, twilioConfigSchema } from "./config.js";
import { toSendError } from "./errors.js";
import { GatewayRequestClient } from "./http-client.js";
import { checkTwilioAccount, twilioRegistration } from "./registration.js";
import { createTwilioWebhooks } from "./webhooks.js";

export { type TwilioConfig, twilioConfigSchema } from "./config.js";

export interface TwilioAdapterOptions {
  readonly gatewayId: string;
  /** Region for numbers typed without a country code, e.g. "US". */
  readonly defaultRegion?: string;
  readonly numberCheck: NumberCheck;
  /** The gateway's destination rules (premium-rate, satellite, countries); absent: none. */
  readonly destinations?: DestinationRules;
  readonly twilio: TwilioConfig;
}

export const TWILIO_CAPABILITIES: Capabilities = {
  gatewayType: "sms",
  maxBodyLength: 1600,
  deliveryReports: true,
  media: true,
  maxMedia: 10,
};

/** Twilio clients of self-service accounts kept in memory at once. */
export const ACCOUNT_CLIENTS = 1_000;

/** Only the sid of Twilio's answer matters; it must be there. */
const createdMessageSchema = z.object({ sid: z.string().min(1) });

export function createTwilioAdapter(options: TwilioAdapterOptions, deps: AdapterDeps): NetworkAdapter {
  const config = twilioConfigSchema.parse(options.twilio);
  const logger = deps.logger.child({ adapter: "twilio", gatewayId: options.gatewayId });
  const phone = {
    check: options.numberCheck,
    ...(options.defaultRegion === undefined ? {} : { defaultRegion: options.defaultRegion }),
  };
  // autoRetry stays off: the queue retries, honouring Retry-After, which the SDK would ignore.
  const httpClient = new GatewayRequestClient(config.apiBaseUrl, {
    timeout: config.requestTimeoutMs,
    autoRetry: false,
  });
  const client = twilio(config.accountSid, config.authToken, {
    httpClient,
    autoRetry: false,
    timeout: config.requestTimeoutMs,
  });
  // Users who registered their own account (self-service) send with it; one client per account,
  // the least recently used dropped beyond ACCOUNT_CLIENTS (a client is cheap to make again).
  const accountClients = new LRUCache<string, ReturnType<typeof twilio>>({ max: ACCOUNT_CLIENTS });
  const clientFor = (account: Account): ReturnType<typeof twilio> => {
    const sid = account.credentials?.accountSid;
    const token = account.credentials?.authToken;
    if (sid === undefined || token === undefined) return client;
    const key = `${sid}:${token}`;
    let own = accountClients.get(key);
    if (!own) {
      own = twilio(sid, token, { httpClient, autoRetry: false, timeout: config.requestTimeoutMs });
      accountClients.set(key, own);
    }
    return own;
  };

  async function send(msg: OutboundMessage, account: Account): Promise<SendResult> {
    const params: MessageListInstanceCreateOptions = { to: msg.to, from: account.number };
    if (msg.body.length > 0) params.body = msg.body;
    if (msg.mediaUrls.length > 0) params.mediaUrl = [...msg.mediaUrls];
    if (msg.statusCallbackUrl !== undefined && msg.statusCallbackUrl.length > 0) {
      params.statusCallback = msg.statusCallbackUrl;
    }
    let answer: unknown;
    try {
      answer = await clientFor(account).messages.create(params);
    } catch (err) {
      const mapped = toSendError(err);
      logger.warn(
        { messageId: msg.messageId, err: mapped.message, retryable: !(mapped instanceof PermanentError) },
        "Twilio send failed",
      );
      throw mapped;
    }
    const created = createdMessageSchema.safeParse(answer);
    if (!created.success) {
      // Twilio accepted the request (2xx); retrying could send the SMS twice.
      throw new PermanentError(
        "Twilio accepted the message but answered without a message sid",
        undefined,
        "internal-server-error",
      );
    }
    logger.debug({ messageId: msg.messageId, sid: created.data.sid }, "sent via Twilio");
    return { providerMessageId: created.data.sid };
  }

  return {
    kind: "twilio",
    capabilities: TWILIO_CAPABILITIES,
    ...smsCapabilities(options.destinations),
    parseAddress: (localpart) => parseSmsLocalpart(localpart, phone),
    formatAddress: (address) => formatSmsAddress(address),
    send,
    webhooks: createTwilioWebhooks(config.authToken, logger, deps.ownCredentials),
    registration: twilioRegistration({
      apiBaseUrl: config.apiBaseUrl,
      requestTimeoutMs: config.requestTimeoutMs,
      phone,
    }),
    checkAccount: () => checkTwilioAccount(client, config.accountSid),
    async close() {
      await httpClient.destroy();
    },
  };
}

/** Registry entry for the composition root: the config block lives at `gateways[i].twilio`. */
export const twilioAdapterModule = {
  kind: "twilio",
  configSchema: twilioConfigSchema,
  create: createTwilioAdapter,
} as const;
