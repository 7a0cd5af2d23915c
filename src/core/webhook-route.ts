/**
 * Webhooks in the adapter contract: a route declares the media types it accepts and whether it
 * carries delivery reports, and turns a verified raw request into inbound events.
 */
import type { InboundEvent } from "./adapter.js";

/** The form media type (Twilio's webhooks). */
export const FORM_CONTENT_TYPE = "application/x-www-form-urlencoded";
/** The JSON media type (Telnyx's webhooks, and most providers'). */
export const JSON_CONTENT_TYPE = "application/json";

/** A webhook request as the HTTP layer hands it to an adapter. */
export interface WebhookRequest {
  /** The full URL the provider requested, built from the configured public URL (never Host). */
  readonly publicUrl: string;
  /** Request headers (lowercase names; `content-type` says which of the route's types it is). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /**
   * application/x-www-form-urlencoded fields, every field received (for signature checks): only
   * for a route that accepts forms, on a request that is one.
   */
  readonly form?: Readonly<Record<string, string | string[]>>;
  /** The body exactly as received (what JSON providers sign), whatever its type. */
  readonly rawBody: string;
}

export interface WebhookResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Thrown by WebhookRoute.handle when the request is not authentic: answered 403, nothing enqueued. */
export class WebhookAuthError extends Error {
  override readonly name = "WebhookAuthError";
}

/** Thrown by WebhookRoute.handle when the request is authentic but malformed: answered 400. */
export class WebhookInputError extends Error {
  override readonly name = "WebhookInputError";
}

export interface WebhookRoute {
  /** Path segment under /webhooks/<gatewayId>/, e.g. "message" or "events". */
  readonly path: string;
  /**
   * Media types the route accepts (e.g. FORM_CONTENT_TYPE, JSON_CONTENT_TYPE); any other is
   * answered 415 and nothing is enqueued.
   */
  readonly accepts: readonly string[];
  /**
   * Whether the provider posts delivery reports here: only then does the gateway ask the provider
   * for them (a status callback URL pointing at this route).
   */
  readonly carriesReports: boolean;
  /**
   * Verify and parse a request. Throws WebhookAuthError (403) or WebhookInputError (400).
   * `ack` is what the provider must be answered once the events are safely enqueued.
   */
  handle(req: WebhookRequest): Promise<{ events: InboundEvent[]; ack: WebhookResponse }>;
}
