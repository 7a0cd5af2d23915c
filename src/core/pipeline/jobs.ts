/**
 * Job payloads, checked with zod whenever a job is created or picked up.
 *
 * Rolling upgrades: old and new processes share the queues, so a job may be read by an older
 * version than wrote it. Unknown keys are therefore stripped, not fatal (zod's default for
 * z.object): a field a newer version added (say `subject` or `senderName` before this version
 * knew them) is dropped by the older reader, which handles the job as it always did. Every field
 * a version knows stays checked (type, length, enum): a wrong-typed known field still makes the
 * job malformed. So a new field must be optional and mean nothing that an older reader would get
 * wrong by ignoring it; anything else needs a new job name or queue.
 */
import { createHash, randomUUID } from "node:crypto";
import { z } from "zod";
import { MAX_SENDER_NAME_LENGTH, MAX_SUBJECT_LENGTH } from "../adapter.js";
import { refusalConditionSchema } from "../errors.js";

export const outboundJobSchema = z.object({
  gatewayId: z.string(),
  stanzaId: z.string().optional(),
  senderJid: z.string(),
  senderBare: z.string(),
  contactLocalpart: z.string(),
  /** The resource of the contact JID the user wrote to, if a full JID (errors echo it). */
  contactResource: z.string().optional(),
  to: z.string(),
  from: z.string(),
  body: z.string(),
  mediaUrls: z.array(z.string()),
  /** The sender asked for a XEP-0184 receipt. */
  receipt: z.boolean().default(false),
  /** XEP-0308: id of the message this one corrects. */
  replaces: z.string().optional(),
  /**
   * The provider account it was accepted for: never sent with another (see own-accounts.ts).
   * Absent on jobs of versions that did not record it.
   */
  account: z
    .discriminatedUnion("kind", [
      z.object({ kind: z.literal("gateway") }),
      z.object({ kind: z.literal("self-service"), id: z.string() }),
    ])
    .optional(),
  /** The stanza's <subject/>, and the sender's nick in it (networks that use them). */
  subject: z.string().max(MAX_SUBJECT_LENGTH).optional(),
  senderName: z.string().max(MAX_SENDER_NAME_LENGTH).optional(),
  /** Set on a refused job whose body was cut to its start (dead-letter.ts): its full length. */
  bodyChars: z.number().int().min(0).optional(),
});
export type OutboundJob = z.infer<typeof outboundJobSchema>;

/** The XMPP conditions a queued error may carry: the core's one list. */
export const conditionSchema = refusalConditionSchema;

export const toXmppJobSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("message"),
    providerMessageId: z.string(),
    /** Sender on the network. */
    from: z.string(),
    /** The gateway user's number that received it. */
    to: z.string(),
    body: z.string(),
    mediaUrls: z.array(z.string()),
    /** Delivered as <subject/>. */
    subject: z.string().max(MAX_SUBJECT_LENGTH).optional(),
    /** The sender's display name on the network: the contact's nick. */
    senderName: z.string().max(MAX_SENDER_NAME_LENGTH).optional(),
  }),
  z.object({
    kind: z.literal("error"),
    /** Full JID of the user whose message failed. */
    to: z.string(),
    contactLocalpart: z.string(),
    /** Echoed: the error comes from the JID the user wrote to. */
    contactResource: z.string().optional(),
    stanzaId: z.string().optional(),
    condition: conditionSchema,
    text: z.string(),
  }),
  z.object({
    kind: z.literal("receipt"),
    /** Full JID of the user whose message was delivered. */
    to: z.string(),
    contactLocalpart: z.string(),
    /** Id of the user's stanza the receipt acknowledges. */
    stanzaId: z.string(),
  }),
]);
export type ToXmppJob = z.infer<typeof toXmppJobSchema>;

/**
 * Job ids derive from upstream ids, so a resent stanza or a redelivered webhook maps onto the job
 * that already exists. BullMQ forbids ':' in custom ids; hashes keep them short and safe.
 */
export function outboundJobId(senderBare: string, stanzaId: string | undefined): string {
  if (!stanzaId) return `o-${randomUUID()}`;
  return `o-${createHash("sha256").update(`${senderBare}\u0000${stanzaId}`).digest("hex").slice(0, 40)}`;
}

export function inboundJobId(providerMessageId: string): string {
  return `m-${createHash("sha256").update(providerMessageId).digest("hex").slice(0, 40)}`;
}

export function errorJobId(outboundId: string): string {
  return `e-${outboundId}`;
}

/** The receipt for an outbound job (one per message, however many parts and callbacks). */
export function receiptJobId(outboundId: string): string {
  return `r-${outboundId}`;
}

/** The delivery failure reported for an outbound job (one per message). */
export function deliveryErrorJobId(outboundId: string): string {
  return `f-${outboundId}`;
}
