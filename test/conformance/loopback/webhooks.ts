/**
 * The loop network's one webhook, `POST /webhooks/<id>/events`: a JSON WebhookEvent (an inbound
 * message or a delivery report), signed with HMAC-SHA256 of the raw body. A missing or wrong
 * signature is refused before the body is even parsed.
 */
import { timingSafeEqual } from "node:crypto";
import {
  type InboundEvent,
  WebhookAuthError,
  WebhookInputError,
  type WebhookRequest,
  type WebhookRoute,
} from "../../../src/core/adapter.js";
import { AddressError } from "../../../src/core/errors.js";
import { checkLoopAddress } from "./address.js";
import { loopSignature, SIGNATURE_HEADER, webhookEventSchema } from "./wire.js";

function signedBySecret(req: WebhookRequest, secret: string): boolean {
  const given = Buffer.from(req.headers[SIGNATURE_HEADER] ?? "");
  const expected = Buffer.from(loopSignature(secret, req.rawBody));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function toEvent(body: unknown): InboundEvent {
  const parsed = webhookEventSchema.safeParse(body);
  if (!parsed.success) throw new WebhookInputError("not a loop network event");
  const e = parsed.data;
  if (e.type === "report") {
    return e.status === "delivered"
      ? { kind: "status", providerMessageId: e.message, status: "delivered" }
      : {
          kind: "status",
          providerMessageId: e.message,
          status: "failed",
          reason: `Loop network: ${e.reason ?? "not delivered"}`,
        };
  }
  try {
    const from = checkLoopAddress(e.from);
    const to = checkLoopAddress(e.to);
    return { kind: "message", providerMessageId: e.id, from, to, body: e.text, mediaUrls: e.media };
  } catch (err) {
    throw err instanceof AddressError ? new WebhookInputError(err.message) : err;
  }
}

export function loopWebhook(secret: string): WebhookRoute {
  const route = {
    path: "events",
    accepts: ["application/json"],
    carriesReports: true,
    async handle(req: WebhookRequest) {
      if (!signedBySecret(req, secret)) throw new WebhookAuthError("missing or wrong X-Loop-Signature");
      let body: unknown;
      try {
        body = JSON.parse(req.rawBody);
      } catch {
        throw new WebhookInputError("the body is not JSON");
      }
      return {
        events: [toEvent(body)],
        ack: { status: 200, contentType: "application/json", body: '{"ok":true}\n' },
      };
    },
  };
  return route;
}
