/** Sending one message through Twilio's Messages API, errors mapped to the core's send errors. */
import type { MessageListInstanceCreateOptions } from "twilio/lib/rest/api/v2010/account/message.js";
import { z } from "zod";
import type { Account, OutboundMessage, SendResult } from "../../src/core/adapter.js";
import { PermanentError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/logger.js";
import type { TwilioClients } from "./clients.js";
import { toSendError } from "./errors.js";

/** Only the sid of Twilio's answer matters; it must be there. */
const createdMessageSchema = z.object({ sid: z.string().min(1) });

export function twilioSend(
  clients: TwilioClients,
  logger: Logger,
): (msg: OutboundMessage, account: Account) => Promise<SendResult> {
  return async (msg, account) => {
    const params: MessageListInstanceCreateOptions = { to: msg.to, from: account.number };
    if (msg.body.length > 0) params.body = msg.body;
    if (msg.mediaUrls.length > 0) params.mediaUrl = [...msg.mediaUrls];
    if (msg.statusCallbackUrl !== undefined && msg.statusCallbackUrl.length > 0) {
      params.statusCallback = msg.statusCallbackUrl;
    }
    let answer: unknown;
    try {
      answer = await clients.clientFor(account).messages.create(params);
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
  };
}
