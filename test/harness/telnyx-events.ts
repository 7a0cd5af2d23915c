/**
 * Telnyx webhook events for tests: bodies built to the `webhooks` schemas of Telnyx's OpenAPI
 * description (../shared/telnyx-oai; every body built is checked against them with ajv, and what
 * does not match is kept for validationFailures()), signed like Telnyx signs them: Ed25519 over
 * `${telnyx-timestamp}|${raw body}` with a test key pair.
 */
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import { REPO_ROOT } from "./twilio-standin.js";

/** ../shared/telnyx-oai beside the repository. */
export const TELNYX_OAI_DIR = resolve(REPO_ROOT, "..", "shared", "telnyx-oai");

/** Path of Telnyx's OpenAPI description, or undefined when ../shared/telnyx-oai is absent. */
export function telnyxSpecPath(): string | undefined {
  const spec = join(TELNYX_OAI_DIR, "telnyx_messaging_v2.json");
  return existsSync(spec) ? spec : undefined;
}

type Validator = ((data: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string }[] | null;
};

let validators: { inbound: Validator; delivery: Validator } | undefined;

function webhookValidators(): { inbound: Validator; delivery: Validator } {
  if (validators) return validators;
  const file = telnyxSpecPath();
  if (!file) throw new Error(`Telnyx's OpenAPI spec is not at ${TELNYX_OAI_DIR}`);
  const ajv = new Ajv2020.default({
    strict: false,
    allErrors: true,
    formats: {
      uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
      "date-time": (s: string) => !Number.isNaN(Date.parse(s)) && /T/.test(s),
      url: (s: string) => URL.canParse(s),
      "json-pointer": true,
      int64: true,
    },
  });
  ajv.addSchema(JSON.parse(readFileSync(file, "utf8")), "telnyx");
  const of = (hook: string): Validator => {
    const v = ajv.getSchema(`telnyx#/webhooks/${hook}/post/requestBody/content/application~1json/schema`);
    if (!v) throw new Error(`no request body schema for webhook ${hook}`);
    return v as Validator;
  };
  validators = { inbound: of("inboundMessage"), delivery: of("deliveryUpdate") };
  return validators;
}

/** A test Ed25519 key pair: `publicKey` base64 (32 bytes) as the portal shows it. */
export interface TelnyxKeyPair {
  readonly publicKey: string;
  readonly privateKey: KeyObject;
}

export function telnyxKeyPair(): TelnyxKeyPair {
  const pair = generateKeyPairSync("ed25519");
  const jwk = pair.publicKey.export({ format: "jwk" });
  return { publicKey: Buffer.from(jwk.x ?? "", "base64url").toString("base64"), privateKey: pair.privateKey };
}

/** The two headers Telnyx signs a webhook with; `timestamp` in Unix seconds (default now). */
export function telnyxSignatureHeaders(
  key: KeyObject,
  rawBody: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const signature = sign(null, Buffer.from(`${timestamp}|${rawBody}`, "utf8"), key).toString("base64");
  return { "telnyx-timestamp": String(timestamp), "telnyx-signature-ed25519": signature };
}

/** Every built body that broke the spec's webhook schemas (shared by all builders in this process). */
const builtFailures: string[] = [];

export function webhookBuildFailures(): string[] {
  return [...builtFailures];
}

function checked(kind: "inbound" | "delivery", body: object): string {
  const v = webhookValidators()[kind];
  if (!v(body)) {
    const why = (v.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "?"}`).join("; ");
    builtFailures.push(`${kind} webhook body breaks the spec: ${why}`);
  }
  return JSON.stringify(body);
}

const PROFILE = "4001767e-ce0f-4cae-9d5f-0d5e636e7809";
const ORGANIZATION = "9cb7fbb4-3e41-4bdc-a6d7-0b7f1a6c2c7e";

export interface InboundOptions {
  readonly from: string;
  readonly to: string;
  readonly text?: string;
  readonly media?: readonly { url: string; contentType?: string }[];
  /** The message id (default a new UUID). */
  readonly id?: string;
  readonly occurredAt?: Date;
}

/** A `message.received` event body (InboundMessageEvent). */
export function inboundMessageEvent(o: InboundOptions): string {
  const now = (o.occurredAt ?? new Date()).toISOString();
  const media = o.media ?? [];
  return checked("inbound", {
    data: {
      record_type: "event",
      id: randomUUID(),
      event_type: "message.received",
      occurred_at: now,
      payload: {
        record_type: "message",
        direction: "inbound",
        id: o.id ?? randomUUID(),
        type: media.length > 0 ? "MMS" : "SMS",
        messaging_profile_id: PROFILE,
        organization_id: ORGANIZATION,
        from: { phone_number: o.from, carrier: "T-Mobile USA", line_type: "Wireless" },
        to: [{ phone_number: o.to, status: "webhook_delivered", carrier: "Telnyx", line_type: "VoIP" }],
        text: o.text ?? "",
        media: media.map((m) => ({ url: m.url, content_type: m.contentType ?? "image/jpeg", size: 1024 })),
        encoding: "GSM-7",
        parts: 1,
        tags: [],
        received_at: now,
        errors: [],
      },
    },
    meta: { attempt: 1, delivered_to: "https://example.com/webhooks" },
  });
}

export type DeliveryStatus =
  | "queued"
  | "sending"
  | "sent"
  | "expired"
  | "sending_failed"
  | "delivery_unconfirmed"
  | "delivered"
  | "delivery_failed";

export interface DeliveryOptions {
  /** The message id Telnyx answered POST /v2/messages with. */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly eventType: "message.sent" | "message.finalized";
  readonly status: DeliveryStatus;
  readonly errors?: readonly { code: string; title: string; detail?: string }[];
  readonly text?: string;
}

/** A `message.sent` / `message.finalized` event body (OutboundMessageEvent). */
export function deliveryEvent(o: DeliveryOptions): string {
  const now = new Date().toISOString();
  return checked("delivery", {
    data: {
      record_type: "event",
      id: randomUUID(),
      event_type: o.eventType,
      occurred_at: now,
      payload: {
        record_type: "message",
        direction: "outbound",
        id: o.id,
        type: "SMS",
        messaging_profile_id: PROFILE,
        organization_id: ORGANIZATION,
        from: { phone_number: o.from, carrier: "Telnyx", line_type: "VoIP" },
        to: [{ phone_number: o.to, status: o.status, carrier: "T-Mobile USA", line_type: "Wireless" }],
        text: o.text ?? "",
        media: [],
        encoding: "GSM-7",
        parts: 1,
        tags: [],
        received_at: now,
        sent_at: now,
        completed_at: o.eventType === "message.finalized" ? now : null,
        errors: [...(o.errors ?? [])],
      },
    },
    meta: { attempt: 1, delivered_to: "https://example.com/webhooks" },
  });
}

/** POSTs a signed (or, with `headers`, otherwise signed) JSON webhook to `url`. */
export async function postTelnyxWebhook(
  url: string,
  rawBody: string,
  key: KeyObject,
  o: { timestamp?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "telnyx-webhooks",
      ...telnyxSignatureHeaders(key, rawBody, o.timestamp),
      ...o.headers,
    },
    body: rawBody,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, body: await res.text() };
}
