/**
 * Twilio webhooks: "message" (an SMS/MMS arrived at one of the gateway's numbers) and "status"
 * (a delivery report for a message the gateway sent).
 *
 * Every request is authenticated first: X-Twilio-Signature is checked with the SDK's
 * validateRequest against the configured public URL and over every form field received, so a
 * field added, removed or changed after Twilio signed fails. On repeated keys: validateRequest
 * signs an array value as key+value for each distinct value, values sorted; so reordering or
 * repeating an identical value does not change the signature. Every field read here must
 * therefore be a single value (an array is refused as malformed), which closes that gap.
 */
import { timingSafeEqual } from "node:crypto";
import twilio from "twilio";
import { z } from "zod";
import {
  type AdapterDeps,
  FORM_CONTENT_TYPE,
  type InboundEvent,
  WebhookAuthError,
  WebhookInputError,
  type WebhookRequest,
  type WebhookResponse,
  type WebhookRoute,
} from "../../src/core/adapter.js";
import type { Logger } from "../../src/core/logger.js";
import { deliveryErrorCondition, describeDeliveryError } from "./errors.js";
import { TWILIO_FLAVOUR, type TwilioFlavour } from "./flavour.js";

/** Twilio posts forms; every route asks the HTTP layer for the parsed fields. */
type Form = Readonly<Record<string, string | string[]>>;
export interface FormRequest extends WebhookRequest {
  readonly form: Form;
}

/** The request with its form fields (a route that accepts forms always gets them). */
function withForm(req: WebhookRequest): FormRequest {
  if (req.form === undefined) throw new WebhookInputError("expected a form body");
  return { ...req, form: req.form };
}

/** What Twilio must be answered on an inbound message: empty TwiML, no auto-reply. */
export const MESSAGE_ACK: WebhookResponse = {
  status: 200,
  contentType: "text/xml",
  body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
};

export const STATUS_ACK: WebhookResponse = { status: 200, contentType: "text/plain", body: "" };

/** Twilio accepts up to 10 media items per MMS. */
const MAX_INBOUND_MEDIA = 10;
/** Longer than any sender Twilio names (E.164, short codes, sender ids, "whatsapp:+1..."). */
const MAX_FROM_LENGTH = 256;

const buildInboundSchema = (messageSid: z.ZodString) =>
  z.object({
    MessageSid: messageSid,
    From: z
      .string({ error: "is required" })
      .min(1, { error: "must not be empty" })
      .max(MAX_FROM_LENGTH, { error: `must be at most ${MAX_FROM_LENGTH} characters` }),
    To: z.string({ error: "is required" }).min(1, { error: "must not be empty" }),
    Body: z.string({ error: "must be a single value" }).default(""),
    NumMedia: z
      .string({ error: "must be a single value" })
      .regex(/^\d+$/, { error: "must be a whole number" })
      .transform(Number)
      .pipe(z.number().max(MAX_INBOUND_MEDIA, { error: `must be at most ${MAX_INBOUND_MEDIA}` }))
      .optional(),
    OptOutType: z.string({ error: "must be a single value" }).optional(),
  });

const mediaUrlSchema = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

const buildStatusSchema = (messageSid: z.ZodString) =>
  z.object({
    MessageSid: messageSid,
    MessageStatus: z.string({ error: "is required" }).min(1, { error: "must not be empty" }),
    ErrorCode: z
      .string({ error: "must be a single value" })
      .regex(/^\d*$/, { error: "must be a numeric code" })
      .optional()
      .transform((code) => (code === undefined || code === "" ? undefined : code)),
  });

/**
 * Each flavour's schemas, built once: building a zod schema costs far more than using it, and
 * these are used for every webhook.
 */
function builtOnce<S>(build: (messageSid: z.ZodString) => S): (messageSid: z.ZodString) => S {
  const built = new WeakMap<z.ZodString, S>();
  return (messageSid) => {
    let schema = built.get(messageSid);
    if (schema === undefined) {
      schema = build(messageSid);
      built.set(messageSid, schema);
    }
    return schema;
  };
}
const inboundSchemaOf = builtOnce(buildInboundSchema);
const statusSchemaOf = builtOnce(buildStatusSchema);

/** Statuses that end a message's life as failed; everything else but "delivered" is intermediate. */
const FAILED_STATUSES: ReadonlySet<string> = new Set(["undelivered", "failed", "canceled"]);

/**
 * `ownCredentials` finds a self-service user's own Twilio credentials by one of their numbers:
 * Twilio signs webhooks of the user's own numbers with that account's Auth Token. A user's token
 * vouches only for her own number: an inbound message is checked with it only when To (the number
 * that received it) is hers, a status callback only when From (the number that sent it) is hers,
 * and only when the AccountSid field names that very account. Everything else is checked with the
 * gateway's token. A status callback says which account signed it (`signedBy`, the AccountSid;
 * absent for the gateway's), so the core applies it only to a message that account sent.
 */
export function createTwilioWebhooks(
  authToken: string,
  logger: Logger,
  ownCredentials?: AdapterDeps["ownCredentials"],
  flavour: TwilioFlavour = TWILIO_FLAVOUR,
): WebhookRoute[] {
  /** The token to check `req` with, and the self-service account it belongs to (if it is one). */
  const signerOf = async (req: FormRequest, field: "To" | "From"): Promise<Signer> => {
    const accountSid = req.form.AccountSid;
    const number = req.form[field];
    if (!ownCredentials || typeof accountSid !== "string" || typeof number !== "string") {
      return { token: authToken };
    }
    const creds = await ownCredentials(number);
    if (creds?.accountSid === accountSid && creds.authToken) {
      return { token: creds.authToken, account: accountSid };
    }
    return { token: authToken };
  };
  return [
    {
      path: "message",
      accepts: [FORM_CONTENT_TYPE],
      carriesReports: false,
      async handle(raw) {
        const req = withForm(raw);
        verifySignature((await signerOf(req, "To")).token, req, flavour);
        return { events: [parseInbound(req.form, flavour)], ack: MESSAGE_ACK };
      },
    },
    {
      path: "status",
      accepts: [FORM_CONTENT_TYPE],
      carriesReports: true,
      async handle(raw) {
        const req = withForm(raw);
        const signer = await signerOf(req, "From");
        verifySignature(signer.token, req, flavour);
        const events = parseStatus(req.form, flavour);
        if (events.length === 0) {
          logger.debug({ status: req.form.MessageStatus }, `intermediate ${flavour.name} status ignored`);
        }
        const signed =
          signer.account === undefined ? events : events.map((e) => ({ ...e, signedBy: signer.account }));
        return { events: signed, ack: STATUS_ACK };
      },
    },
  ];
}

interface Signer {
  readonly token: string;
  /** The self-service AccountSid whose token it is; undefined for the gateway's own. */
  readonly account?: string;
}

/**
 * Throws WebhookAuthError unless the flavour's signature header (X-Twilio-Signature; SignalWire:
 * X-SignalWire-Signature or X-Twilio-Signature) signs req.publicUrl and every form field. The SDK's
 * validateRequest also tries the URL with and without an explicit default port.
 */
export function verifySignature(
  authToken: string,
  req: FormRequest,
  flavour: TwilioFlavour = TWILIO_FLAVOUR,
): void {
  const present = flavour.signatureHeaders
    .map((name) => ({ name, value: header(req.headers, name) }))
    .find((h) => h.value !== undefined && h.value.length > 0);
  const shown = flavour.signatureHeaders.map(headerName).join(" or ");
  if (present?.value === undefined) throw new WebhookAuthError(`missing ${shown} header`);
  let valid: boolean;
  try {
    valid =
      signedAsConfigured(authToken, present.value, req.publicUrl, req.form) ||
      twilio.validateRequest(authToken, present.value, req.publicUrl, req.form);
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new WebhookAuthError(`${headerName(present.name)} does not match the request to ${req.publicUrl}`);
  }
}

/**
 * Whether `signature` is the provider's for the URL exactly as configured (http.publicUrl), the
 * URL it was given to call: one HMAC. twilio.validateRequest tries the URL without its port
 * first, then with it, then normalized forms, so with a port in the URL every genuine request
 * cost two; it stays the fallback for requests signed in those other forms.
 */
function signedAsConfigured(
  token: string,
  signature: string,
  url: string,
  form: FormRequest["form"],
): boolean {
  const expected = Buffer.from(twilio.getExpectedTwilioSignature(token, url, form));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** x-signalwire-signature -> X-SignalWire-Signature, as providers write it. */
function headerName(lower: string): string {
  return lower === "x-signalwire-signature" ? "X-SignalWire-Signature" : "X-Twilio-Signature";
}

/**
 * An inbound SMS/MMS -> message event. Senders and bodies are kept as Twilio gives them (E.164 or
 * raw id, any characters: the XMPP side makes them safe for a JID and for XML); media URLs are
 * handed on as the URL standard serializes them (`new URL(raw).href`), which percent-encodes
 * control and other characters a URL cannot hold raw, so the link stays the same link.
 */
export function parseInbound(form: Form, flavour: TwilioFlavour = TWILIO_FLAVOUR): InboundEvent {
  const fields = parseForm(inboundSchemaOf(flavour.messageId), form, `${flavour.name} message`);
  const numMedia = fields.NumMedia ?? 0;
  const mediaUrls: string[] = [];
  for (let i = 0; i < numMedia; i++) {
    const raw = form[`MediaUrl${i}`];
    const result = mediaUrlSchema.safeParse(raw);
    if (!result.success) {
      const problem = raw === undefined ? `is required (NumMedia is ${numMedia})` : "must be one http(s) URL";
      throw new WebhookInputError(`${flavour.name} message webhook: MediaUrl${i}: ${problem}`);
    }
    mediaUrls.push(new URL(result.data).href);
  }
  return {
    kind: "message",
    providerMessageId: fields.MessageSid,
    from: fields.From,
    to: fields.To,
    body: fields.Body,
    mediaUrls,
    ...optOutOf(fields.OptOutType),
  };
}

/** Twilio's OptOutType (Advanced Opt-Out): STOP or START; HELP and others change nothing. */
function optOutOf(type: string | undefined): { optOut?: "stop" | "start" } {
  const t = type?.trim().toUpperCase();
  if (t === "STOP") return { optOut: "stop" };
  if (t === "START") return { optOut: "start" };
  return {};
}

/** A status callback -> zero or one status event (only final outcomes are reported). */
export function parseStatus(form: Form, flavour: TwilioFlavour = TWILIO_FLAVOUR): InboundEvent[] {
  const fields = parseForm(statusSchemaOf(flavour.messageId), form, `${flavour.name} status`);
  const status = fields.MessageStatus.toLowerCase();
  if (status === "delivered") {
    return [{ kind: "status", providerMessageId: fields.MessageSid, status: "delivered" }];
  }
  if (FAILED_STATUSES.has(status)) {
    return [
      {
        kind: "status",
        providerMessageId: fields.MessageSid,
        status: "failed",
        reason: describeDeliveryError(fields.ErrorCode, status, flavour),
        condition: deliveryErrorCondition(fields.ErrorCode),
        ...(fields.ErrorCode === undefined ? {} : { errorCode: fields.ErrorCode }),
      },
    ];
  }
  return [];
}

/** `route`: the provider and route, e.g. "Twilio message". */
function parseForm<S extends z.ZodType>(schema: S, form: Form, route: string): z.output<S> {
  const result = schema.safeParse(form);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "form"}: ${issue.message}`,
    );
    throw new WebhookInputError(`${route} webhook: ${problems.join("; ")}`);
  }
  return result.data;
}

function header(headers: WebhookRequest["headers"], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}
