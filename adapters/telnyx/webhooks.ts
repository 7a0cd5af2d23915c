/**
 * Telnyx webhooks: JSON events signed with Ed25519 (signature.ts). Both routes accept every event
 * type, so one URL can serve the messaging profile (inbound messages) and the per-message
 * `webhook_url` (delivery reports):
 * - `message.received` -> an inbound message (text, and every `media[].url`);
 * - `message.finalized` -> a delivery report: `delivered` -> delivered; `delivery_failed`,
 *   `sending_failed`, `delivery_unconfirmed`, `expired` -> failed, naming `errors[0].code`;
 * - `message.sent` and anything else -> acknowledged, no event. Telnyx may deliver events twice,
 *   late or out of order: inbound messages are deduplicated by the core by message id, and since a
 *   non-final event produces nothing, a late `message.sent` cannot undo a `message.finalized`.
 */
import type { KeyObject } from "node:crypto";
import { z } from "zod";
import {
  type AdapterDeps,
  type InboundEvent,
  JSON_CONTENT_TYPE,
  WebhookInputError,
  type WebhookRequest,
  type WebhookResponse,
  type WebhookRoute,
} from "../../src/core/adapter.js";
import type { Logger } from "../../src/core/logger.js";
import { deliveryErrorCondition, describeDeliveryError } from "./errors.js";
import { ed25519PublicKey, verifyTelnyxSignature } from "./signature.js";

export const ACK: WebhookResponse = { status: 200, contentType: "text/plain", body: "" };

/** Telnyx sends at most 10 media items per MMS. */
const MAX_INBOUND_MEDIA = 10;
const MAX_FROM_LENGTH = 256;

const FAILED: ReadonlySet<string> = new Set([
  "delivery_failed",
  "sending_failed",
  "delivery_unconfirmed",
  "expired",
]);

const address = z.looseObject({ phone_number: z.string().min(1).max(MAX_FROM_LENGTH) });
const errorItem = z.looseObject({
  code: z.union([z.string(), z.number()]).transform(String),
  title: z.string().optional(),
});

const receivedSchema = z.looseObject({
  id: z.string().min(1).max(128),
  from: address,
  to: z.array(address).min(1),
  text: z
    .string()
    .nullish()
    .transform((t) => t ?? ""),
  media: z
    .array(z.looseObject({ url: z.url({ protocol: /^https?$/ }) }))
    .max(MAX_INBOUND_MEDIA)
    .nullish()
    .transform((m) => m ?? []),
});

const finalizedSchema = z.looseObject({
  id: z.string().min(1).max(128),
  from: address.optional(),
  to: z.array(z.looseObject({ phone_number: z.string().optional(), status: z.string().optional() })).min(1),
  errors: z.array(errorItem).nullish(),
});

const envelopeSchema = z.looseObject({
  data: z.looseObject({
    event_type: z.string(),
    occurred_at: z.string().optional(),
    payload: z.looseObject({}),
  }),
});

type Envelope = z.infer<typeof envelopeSchema>;

/** Own credentials of a self-service number: its account's public key. */
interface Signer {
  readonly keys: readonly KeyObject[];
  /** The self-service account (its public key) when its key is keys[0]. */
  readonly account?: string;
}

export function createTelnyxWebhooks(
  publicKey: string,
  logger: Logger,
  ownCredentials?: AdapterDeps["ownCredentials"],
): WebhookRoute[] {
  const gatewayKey = ed25519PublicKey(publicKey);
  /** The user's own key vouches only for her own number: To of an inbound, From of a report. */
  const signerOf = async (envelope: Envelope): Promise<Signer> => {
    const number = ourNumber(envelope);
    const own = ownCredentials && number !== undefined ? await ownCredentials(number) : undefined;
    if (own?.publicKey === undefined || own.publicKey === publicKey) return { keys: [gatewayKey] };
    try {
      return { keys: [ed25519PublicKey(own.publicKey), gatewayKey], account: own.publicKey };
    } catch {
      return { keys: [gatewayKey] };
    }
  };
  const handle = async (req: WebhookRequest): Promise<{ events: InboundEvent[]; ack: WebhookResponse }> => {
    const envelope = parseEnvelope(req.rawBody);
    const signer = envelope === undefined ? { keys: [gatewayKey] } : await signerOf(envelope);
    // The signature first: nothing about an unsigned body is reported as malformed.
    const by = verifyTelnyxSignature(signer.keys, req.headers, req.rawBody);
    if (envelope === undefined) throw new WebhookInputError("Telnyx webhook: the body is not a Telnyx event");
    const signedBy = by === 0 ? signer.account : undefined;
    const events = parseEvent(envelope);
    if (events.length === 0) logger.debug({ event: envelope.data.event_type }, "Telnyx event ignored");
    return {
      events:
        signedBy === undefined ? events : events.map((e) => (e.kind === "status" ? { ...e, signedBy } : e)),
      ack: ACK,
    };
  };
  // Both take every event; per-message webhook_url points at "status".
  return [
    { path: "message", accepts: [JSON_CONTENT_TYPE], carriesReports: false, handle },
    { path: "status", accepts: [JSON_CONTENT_TYPE], carriesReports: true, handle },
  ];
}

function parseEnvelope(rawBody: string): Envelope | undefined {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return undefined;
  }
  const parsed = envelopeSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The gateway user's number an event is about: To of an inbound message, From of a report. */
function ourNumber(envelope: Envelope): string | undefined {
  const payload = envelope.data.payload as { to?: unknown; from?: unknown };
  const pick = (v: unknown) => address.safeParse(v).data?.phone_number;
  if (envelope.data.event_type === "message.received") {
    return Array.isArray(payload.to) ? pick(payload.to[0]) : undefined;
  }
  return pick(payload.from);
}

/** One Telnyx event -> zero or one gateway event. */
export function parseEvent(envelope: Envelope): InboundEvent[] {
  const { event_type: type, payload, occurred_at: occurredAt } = envelope.data;
  if (type === "message.received") {
    const p = parse(receivedSchema, payload, type);
    const at = occurredAt === undefined ? Number.NaN : Date.parse(occurredAt);
    return [
      {
        kind: "message",
        providerMessageId: p.id,
        from: p.from.phone_number,
        to: p.to[0]?.phone_number ?? "",
        body: p.text,
        mediaUrls: p.media.map((m) => new URL(m.url).href),
        ...(Number.isNaN(at) ? {} : { occurredAt: at }),
      },
    ];
  }
  if (type !== "message.finalized") return [];
  const p = parse(finalizedSchema, payload, type);
  const status = p.to[0]?.status ?? "";
  if (status === "delivered") return [{ kind: "status", providerMessageId: p.id, status: "delivered" }];
  if (!FAILED.has(status)) return [];
  const error = p.errors?.[0];
  return [
    {
      kind: "status",
      providerMessageId: p.id,
      status: "failed",
      reason: describeDeliveryError(error?.code, status, error?.title),
      condition: deliveryErrorCondition(error?.code),
      ...(error === undefined ? {} : { errorCode: error.code }),
    },
  ];
}

function parse<S extends z.ZodType>(schema: S, value: unknown, type: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`);
    throw new WebhookInputError(`Telnyx ${type} webhook: ${problems.join("; ")}`);
  }
  return result.data;
}
