/**
 * The Telnyx adapter: SMS/MMS through Telnyx's Messaging API v2. Sends with plain undici
 * (`POST /v2/messages`, Bearer API key, JSON; never retried here: the queue retries), receives
 * JSON webhooks signed with Ed25519.
 */
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
import { TelnyxApi } from "./api.js";
import { type TelnyxConfig, telnyxConfigSchema } from "./config.js";
import { OPERATOR_CODES, toSendError } from "./errors.js";
import { checkTelnyxAccount, telnyxRegistration } from "./registration.js";
import { createTelnyxWebhooks } from "./webhooks.js";

export { type TelnyxConfig, telnyxConfigSchema, telnyxDefaultPacing } from "./config.js";

export interface TelnyxAdapterOptions {
  readonly gatewayId: string;
  readonly defaultRegion?: string;
  readonly numberCheck: NumberCheck;
  /** The gateway's destination rules (premium-rate and satellite numbers refused by default). */
  readonly destinations?: DestinationRules;
  readonly telnyx: TelnyxConfig;
}

export const TELNYX_CAPABILITIES: Capabilities = {
  gatewayType: "sms",
  // Telnyx splits long texts itself, up to 10 parts.
  maxBodyLength: 1530,
  deliveryReports: true,
  media: true,
  maxMedia: 10,
};

/** Only the message id of Telnyx's answer matters; it must be there. */
const createdSchema = z.object({ data: z.looseObject({ id: z.string().min(1) }) });

export function createTelnyxAdapter(options: TelnyxAdapterOptions, deps: AdapterDeps): NetworkAdapter {
  const config = telnyxConfigSchema.parse(options.telnyx);
  const logger = deps.logger.child({ adapter: "telnyx", gatewayId: options.gatewayId });
  const phone = {
    check: options.numberCheck,
    ...(options.defaultRegion === undefined ? {} : { defaultRegion: options.defaultRegion }),
  };
  const api = new TelnyxApi({ apiBaseUrl: config.apiBaseUrl, timeoutMs: config.requestTimeoutMs });

  async function send(msg: OutboundMessage, account: Account): Promise<SendResult> {
    const own = account.credentials?.apiKey;
    const body: Record<string, unknown> = { from: account.number, to: msg.to };
    if (msg.body.length > 0) body.text = msg.body;
    if (msg.mediaUrls.length > 0) body.media_urls = [...msg.mediaUrls];
    if (msg.statusCallbackUrl !== undefined && msg.statusCallbackUrl.length > 0) {
      body.webhook_url = msg.statusCallbackUrl;
    }
    // The operator's profile belongs to the operator's account, not to a user's own.
    if (own === undefined && config.messagingProfileId !== undefined) {
      body.messaging_profile_id = config.messagingProfileId;
    }
    let answer: unknown;
    try {
      answer = await api.request(own ?? config.apiKey, "POST", "/messages", { body });
    } catch (err) {
      const mapped = toSendError(err);
      const code = Number(mapped.providerCode);
      const line = {
        messageId: msg.messageId,
        err: mapped.message,
        retryable: !(mapped instanceof PermanentError),
      };
      if (own === undefined && OPERATOR_CODES.has(code)) {
        logger.error(line, "Telnyx refused the gateway's API key: fix telnyx.apiKey");
      } else {
        logger.warn(line, "Telnyx send failed");
      }
      throw mapped;
    }
    const created = createdSchema.safeParse(answer);
    if (!created.success) {
      // Telnyx accepted the request (2xx); retrying could send the SMS twice.
      throw new PermanentError(
        "Telnyx accepted the message but answered without a message id",
        undefined,
        "internal-server-error",
      );
    }
    logger.debug({ messageId: msg.messageId, id: created.data.data.id }, "sent via Telnyx");
    return { providerMessageId: created.data.data.id };
  }

  return {
    kind: "telnyx",
    capabilities: TELNYX_CAPABILITIES,
    ...smsCapabilities(options.destinations),
    parseAddress: (localpart) => parseSmsLocalpart(localpart, phone),
    formatAddress: (address) => formatSmsAddress(address),
    send,
    webhooks: createTelnyxWebhooks(config.publicKey, logger, deps.ownCredentials),
    registration: telnyxRegistration(api, phone),
    checkAccount: () => checkTelnyxAccount(api, config.apiKey),
    close: () => api.close(),
  };
}
