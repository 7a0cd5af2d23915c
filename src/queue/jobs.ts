/** Job payloads, checked with zod whenever a job is created or picked up. */
import { createHash, randomUUID } from "node:crypto";
import { z } from "zod";

export const outboundJobSchema = z
  .object({
    gatewayId: z.string(),
    stanzaId: z.string().optional(),
    senderJid: z.string(),
    senderBare: z.string(),
    contactLocalpart: z.string(),
    to: z.string(),
    from: z.string(),
    body: z.string(),
    mediaUrls: z.array(z.string()),
  })
  .strict();
export type OutboundJob = z.infer<typeof outboundJobSchema>;

const conditionSchema = z.enum([
  "bad-request",
  "feature-not-implemented",
  "forbidden",
  "internal-server-error",
  "item-not-found",
  "jid-malformed",
  "not-acceptable",
  "not-allowed",
  "not-authorized",
  "policy-violation",
  "recipient-unavailable",
  "registration-required",
  "remote-server-not-found",
  "remote-server-timeout",
  "resource-constraint",
  "service-unavailable",
  "undefined-condition",
]);

export const toXmppJobSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("message"),
      providerMessageId: z.string(),
      /** Sender on the network. */
      from: z.string(),
      /** The gateway user's number that received it. */
      to: z.string(),
      body: z.string(),
      mediaUrls: z.array(z.string()),
    })
    .strict(),
  z
    .object({
      kind: z.literal("error"),
      /** Full JID of the user whose message failed. */
      to: z.string(),
      contactLocalpart: z.string(),
      stanzaId: z.string().optional(),
      condition: conditionSchema,
      text: z.string(),
    })
    .strict(),
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
