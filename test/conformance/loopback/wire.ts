/**
 * The loop network's API, as both sides speak it (its "OpenAPI"): the adapter and the stand-in
 * import these shapes, so neither can drift from the other.
 *
 * - POST /v1/messages (Authorization: Bearer <apiKey>) with a SendRequest: 201 { id }; refused:
 *   an ErrorBody, 4xx for good, 429/5xx "try again" (Retry-After: seconds).
 * - GET /v1/mailboxes/<address> (Authorization: Bearer <the mailbox's token>): 200 { address },
 *   401 wrong token, 404 no such mailbox.
 * - Webhooks: the network POSTs one WebhookEvent as JSON to the gateway, signed in
 *   X-Loop-Signature: `sha256=` + hex HMAC-SHA256 of the raw body with the webhook secret.
 */
import { createHmac } from "node:crypto";
import { z } from "zod";

export const sendRequestSchema = z.strictObject({
  from: z.string().min(1),
  to: z.string().min(1),
  text: z.string(),
  media: z.array(z.url()).max(4),
  reference: z.string().min(1),
});
export type SendRequest = z.infer<typeof sendRequestSchema>;

export const sentSchema = z.object({ id: z.string().min(1) });

export const errorBodySchema = z.object({
  error: z.object({ code: z.string().min(1), message: z.string().min(1) }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const mailboxSchema = z.object({ address: z.string().min(1) });

export const webhookEventSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("message"),
    id: z.string().min(1).max(100),
    from: z.string().min(1).max(200),
    to: z.string().min(1).max(200),
    text: z.string().max(4000),
    media: z.array(z.url()).max(4).default([]),
  }),
  z.strictObject({
    type: z.literal("report"),
    id: z.string().min(1).max(100),
    message: z.string().min(1).max(100),
    status: z.enum(["delivered", "failed"]),
    reason: z.string().max(500).optional(),
  }),
]);
export type WebhookEvent = z.input<typeof webhookEventSchema>;

export const SIGNATURE_HEADER = "x-loop-signature";

export function loopSignature(secret: string, rawBody: string): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody, "utf8").digest("hex")}`;
}
