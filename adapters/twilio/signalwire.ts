/**
 * The SignalWire flavour of the Twilio adapter: SignalWire's LaML API is Twilio's REST API under
 * `https://<space>.signalwire.com/api/laml/2010-04-01`, with a Project ID (a UUID) where Twilio has
 * an Account SID, and UUID message ids. The twilio SDK refuses account ids that do not start with
 * AC; sends are the Twilio adapter's own form POST (send.ts) to .../Accounts/{projectId}/Messages.json
 * with Basic projectId:apiToken, through the same undici client (GatewayRequestClient). Webhooks are Twilio's forms, signed in
 * Twilio's scheme with the project's Signing Key (X-SignalWire-Signature or X-Twilio-Signature).
 * Errors map as for Twilio (LaML answers Twilio's codes), in texts naming SignalWire. No
 * bring-your-own registration yet.
 */
import type { AdapterDeps, NetworkAdapter } from "../../src/core/adapter.js";
import { formatSmsAddress, parseSmsLocalpart, smsCapabilities } from "../sms-kit/index.js";
import { SIGNALWIRE_FLAVOUR } from "./flavour.js";
import { GatewayRequestClient } from "./http-client.js";
import { TWILIO_CAPABILITIES, type TwilioAdapterOptions } from "./index.js";
import { messagesApiSend } from "./send.js";
import { lamlBaseUrl, type SignalwireConfig, signalwireConfigSchema } from "./signalwire-config.js";
import { createTwilioWebhooks } from "./webhooks.js";

export {
  type SignalwireConfig,
  signalwireConfigSchema,
  signalwireDefaultPacing,
} from "./signalwire-config.js";

export interface SignalwireAdapterOptions extends Omit<TwilioAdapterOptions, "twilio"> {
  readonly signalwire: SignalwireConfig;
}

export function createSignalwireAdapter(
  options: SignalwireAdapterOptions,
  deps: AdapterDeps,
): NetworkAdapter {
  const config = signalwireConfigSchema.parse(options.signalwire);
  const logger = deps.logger.child({ adapter: "signalwire", gatewayId: options.gatewayId });
  const phone = {
    check: options.numberCheck,
    ...(options.defaultRegion === undefined ? {} : { defaultRegion: options.defaultRegion }),
  };
  const httpClient = new GatewayRequestClient(
    lamlBaseUrl(config.spaceUrl),
    { timeout: config.requestTimeoutMs, autoRetry: false },
    SIGNALWIRE_FLAVOUR.name,
  );
  const send = messagesApiSend(
    {
      httpClient,
      flavour: SIGNALWIRE_FLAVOUR,
      timeoutMs: config.requestTimeoutMs,
      credentialsFor: () => ({ username: config.projectId, password: config.apiToken }),
    },
    logger,
  );

  return {
    kind: "signalwire",
    capabilities: TWILIO_CAPABILITIES,
    ...smsCapabilities(options.destinations),
    parseAddress: (localpart) => parseSmsLocalpart(localpart, phone),
    formatAddress: (address) => formatSmsAddress(address),
    send,
    webhooks: createTwilioWebhooks(config.signingKey, logger, undefined, SIGNALWIRE_FLAVOUR),
    async close() {
      await httpClient.destroy();
    },
  };
}
