/**
 * Sending one message through the Messages API of Twilio or a Twilio-compatible provider
 * (SignalWire's LaML API), errors mapped to the core's send errors.
 *
 * A form POST through the adapter's HTTP client, not the SDK's `messages.create()`: that builds a
 * MessageInstance of some 40 fields per send (dates parsed with dayjs) when only the sid matters,
 * which was a few percent of the gateway's CPU per message. The request is the one the SDK makes
 * (same path, Basic auth, form fields, repeated MediaUrl), checked against Twilio's OpenAPI
 * description by the stand-in in the tests.
 */
import { z } from "zod";
import type { Account, OutboundMessage, SendResult } from "../../src/core/adapter.js";
import { PermanentError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/logger.js";
import { twilioSendErrors } from "./errors.js";
import type { TwilioFlavour } from "./flavour.js";
import type { GatewayRequestClient } from "./http-client.js";

/** The SDK's own API host: GatewayRequestClient rebases it onto the configured API base. */
const SDK_API = "https://api.twilio.com/2010-04-01";

/** Only the sid of the provider's answer matters; it must be there. */
const createdMessageSchema = z.object({ sid: z.string().min(1) });

const HEADERS = { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" };

export interface MessagesApi {
  readonly httpClient: GatewayRequestClient;
  /** Twilio or a flavour of it: its name in log lines, reasons and error texts. */
  readonly flavour: TwilioFlavour;
  readonly timeoutMs: number;
  /** Account SID (or SignalWire Project ID) and secret the message is sent with. */
  credentialsFor(account: Account): { readonly username: string; readonly password: string };
}

/** The form of one message, as Twilio's Messages API takes it. */
function messageForm(msg: OutboundMessage, from: string): Record<string, string | string[]> {
  const form: Record<string, string | string[]> = { To: msg.to, From: from };
  if (msg.body.length > 0) form.Body = msg.body;
  if (msg.mediaUrls.length > 0) form.MediaUrl = [...msg.mediaUrls];
  if (msg.statusCallbackUrl !== undefined && msg.statusCallbackUrl.length > 0) {
    form.StatusCallback = msg.statusCallbackUrl;
  }
  return form;
}

export function messagesApiSend(
  api: MessagesApi,
  logger: Logger,
): (msg: OutboundMessage, account: Account) => Promise<SendResult> {
  const { name } = api.flavour;
  // Twilio's codes, in texts that name the flavour's provider.
  const { toSendError } = twilioSendErrors(api.flavour);
  return async (msg, account) => {
    const { username, password } = api.credentialsFor(account);
    let text: unknown;
    try {
      const answer = await api.httpClient.request({
        method: "post",
        uri: `${SDK_API}/Accounts/${encodeURIComponent(username)}/Messages.json`,
        username,
        password,
        data: messageForm(msg, account.number),
        headers: HEADERS,
        timeout: api.timeoutMs,
      });
      text = answer.body;
    } catch (err) {
      const mapped = toSendError(err);
      logger.warn(
        { messageId: msg.messageId, err: mapped.message, retryable: !(mapped instanceof PermanentError) },
        `${name} send failed`,
      );
      throw mapped;
    }
    const created = createdMessageSchema.safeParse(parseJson(text));
    if (!created.success) {
      // The provider accepted the request (2xx); retrying could send the SMS twice.
      throw new PermanentError(
        `${name} accepted the message but answered without a message sid`,
        undefined,
        "internal-server-error",
      );
    }
    logger.debug({ messageId: msg.messageId, sid: created.data.sid }, `sent via ${name}`);
    return { providerMessageId: created.data.sid };
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
