/**
 * What adapters hand the core (AdapterDeps.emit, a webhook route's parse): inbound messages and
 * delivery reports, each written once as a zod schema with its type derived from it.
 */
import { z } from "zod";
import { refusalConditionSchema } from "./errors.js";

/** Longest subject and sender name the core carries (longer ones are cut). */
export const MAX_SUBJECT_LENGTH = 998;
export const MAX_SENDER_NAME_LENGTH = 200;

/** A message from the network to a gateway user. */
export const inboundMessageEventSchema = z
  .object({
    kind: z.literal("message"),
    /** Provider's id for the message (Twilio MessageSid): used as the dedup key. */
    providerMessageId: z.string(),
    /** Sender on the network (canonical form when it is a number, or the raw sender id). */
    from: z.string(),
    /** The gateway user's address on the network that received it. */
    to: z.string(),
    body: z.string(),
    mediaUrls: z.array(z.string()).readonly(),
    /** The provider recognised an opt-out keyword (Twilio OptOutType STOP / START). */
    optOut: z.enum(["stop", "start"]).optional(),
    /**
     * When the provider says the message was received (ms since the epoch), for providers that sign
     * it; orders opt-outs. Absent (Twilio): the time the gateway received the webhook.
     */
    occurredAt: z.number().optional(),
    /** The message's subject, for networks with subjects (email): delivered as XMPP <subject/>. */
    subject: z.string().optional(),
    /** The sender's display name on the network: the XEP-0172 nick of the contact. */
    senderName: z.string().optional(),
  })
  .strict()
  .readonly();
export type InboundMessageEvent = z.infer<typeof inboundMessageEventSchema>;

/** A delivery report; also how a report that came early is held in Redis. */
export const inboundStatusEventSchema = z
  .object({
    kind: z.literal("status"),
    providerMessageId: z.string(),
    status: z.enum(["delivered", "failed"]),
    reason: z.string().optional(),
    errorCode: z.string().optional(),
    /** XMPP condition for a failed delivery (default recipient-unavailable). */
    condition: refusalConditionSchema.optional(),
    /**
     * The self-service account whose credentials verified the report (its `accountOf` name; opaque
     * to the core), absent when the gateway's own credentials did. A report is applied only to a
     * message sent with that same account.
     */
    signedBy: z.string().optional(),
  })
  .strict()
  .readonly();
export type InboundStatusEvent = z.infer<typeof inboundStatusEventSchema>;

export type InboundEvent = InboundMessageEvent | InboundStatusEvent;
