/**
 * The SignalWire flavour of the Twilio adapter: SignalWire's LaML API is Twilio's REST API under
 * `https://<space>.signalwire.com/api/laml/2010-04-01`, with a Project ID (a UUID) where Twilio has
 * an Account SID, and UUID message ids. The twilio SDK refuses account ids that do not start with
 * AC, so sends go through the same undici client (GatewayRequestClient: rebasing, status-keeping
 * errors) without the SDK's resource layer: a form POST to .../Accounts/{projectId}/Messages.json
 * with Basic projectId:apiToken, in Twilio's request shape. Webhooks are Twilio's forms, signed in
 * Twilio's scheme with the project's Signing Key (X-SignalWire-Signature or X-Twilio-Signature).
 * Errors map as for Twilio (LaML answers Twilio's codes), in texts naming SignalWire. No
 * bring-your-own registration yet.
 */
import { z } from "zod";
import type { AdapterDeps, NetworkAdapter, OutboundMessage, SendResult } from "../../src/core/adapter.js";
import { PermanentError } from "../../src/core/errors.js";
import { formatSmsAddress, parseSmsLocalpart, smsCapabilities } from "../sms-kit/index.js";
import { twilioSendErrors } from "./errors.js";
import { SIGNALWIRE_FLAVOUR } from "./flavour.js";
import { GatewayRequestClient } from "./http-client.js";
import { TWILIO_CAPABILITIES, type TwilioAdapterOptions } from "./index.js";
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

/** The SDK's own API host: GatewayRequestClient rebases it onto the space's LaML prefix. */
const SDK_API = "https://api.twilio.com/2010-04-01";

const createdMessageSchema = z.object({ sid: z.string().min(1) });

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
  // Twilio's codes, in texts that name SignalWire.
  const { toSendError } = twilioSendErrors(SIGNALWIRE_FLAVOUR);
  const messagesUri = `${SDK_API}/Accounts/${encodeURIComponent(config.projectId)}/Messages.json`;

  async function send(msg: OutboundMessage, account: { number: string }): Promise<SendResult> {
    const form: Record<string, string | string[]> = { To: msg.to, From: account.number };
    if (msg.body.length > 0) form.Body = msg.body;
    if (msg.mediaUrls.length > 0) form.MediaUrl = [...msg.mediaUrls];
    if (msg.statusCallbackUrl !== undefined && msg.statusCallbackUrl.length > 0) {
      form.StatusCallback = msg.statusCallbackUrl;
    }
    let text: unknown;
    try {
      const answer = await httpClient.request({
        method: "post",
        uri: messagesUri,
        username: config.projectId,
        password: config.apiToken,
        data: form,
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        timeout: config.requestTimeoutMs,
      });
      text = answer.body;
    } catch (err) {
      const mapped = toSendError(err);
      logger.warn(
        { messageId: msg.messageId, err: mapped.message, retryable: !(mapped instanceof PermanentError) },
        "SignalWire send failed",
      );
      throw mapped;
    }
    const created = createdMessageSchema.safeParse(parseJson(text));
    if (!created.success) {
      // SignalWire accepted the request (2xx); retrying could send the SMS twice.
      throw new PermanentError(
        "SignalWire accepted the message but answered without a message sid",
        undefined,
        "internal-server-error",
      );
    }
    logger.debug({ messageId: msg.messageId, sid: created.data.sid }, "sent via SignalWire");
    return { providerMessageId: created.data.sid };
  }

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

function parseJson(text: unknown): unknown {
  if (typeof text !== "string") return text;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
