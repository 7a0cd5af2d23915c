/**
 * The Twilio adapter: SMS/MMS through Twilio Programmable Messaging (or a Twilio-compatible API
 * at another base URL). Sends with the official SDK, receives through signed webhooks.
 */
import type { AdapterDeps, Capabilities, NetworkAdapter } from "../../src/core/adapter.js";
import {
  type DestinationRules,
  formatSmsAddress,
  type NumberCheck,
  parseSmsLocalpart,
  smsCapabilities,
} from "../sms-kit/index.js";
import { twilioClients } from "./clients.js";
import { type TwilioConfig, twilioConfigSchema } from "./config.js";
import { TWILIO_FLAVOUR } from "./flavour.js";
import { checkTwilioAccount, twilioRegistration } from "./registration.js";
import { messagesApiSend } from "./send.js";
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

export function createTwilioAdapter(options: TwilioAdapterOptions, deps: AdapterDeps): NetworkAdapter {
  const config = twilioConfigSchema.parse(options.twilio);
  const logger = deps.logger.child({ adapter: "twilio", gatewayId: options.gatewayId });
  const phone = {
    check: options.numberCheck,
    ...(options.defaultRegion === undefined ? {} : { defaultRegion: options.defaultRegion }),
  };
  const clients = twilioClients(config);

  return {
    kind: "twilio",
    capabilities: TWILIO_CAPABILITIES,
    ...smsCapabilities(options.destinations),
    parseAddress: (localpart) => parseSmsLocalpart(localpart, phone),
    formatAddress: (address) => formatSmsAddress(address),
    send: messagesApiSend(
      {
        httpClient: clients.httpClient,
        flavour: TWILIO_FLAVOUR,
        timeoutMs: config.requestTimeoutMs,
        credentialsFor: clients.credentialsFor,
      },
      logger,
    ),
    webhooks: createTwilioWebhooks(config.authToken, logger, deps.ownCredentials),
    registration: twilioRegistration({
      apiBaseUrl: config.apiBaseUrl,
      requestTimeoutMs: config.requestTimeoutMs,
      phone,
    }),
    checkAccount: () => checkTwilioAccount(clients.main, config.accountSid),
    async close() {
      await clients.httpClient.destroy();
    },
  };
}

/** Registry entry for the composition root: the config block lives at `gateways[i].twilio`. */
export const twilioAdapterModule = {
  kind: "twilio",
  configSchema: twilioConfigSchema,
  create: createTwilioAdapter,
} as const;
