/**
 * The simulator's one webhook, `POST /webhooks/<id>/text`: a simulated phone texts a gateway
 * user first (`xmpp-gateway demo text +15557654321 "hello"` posts here). Only when
 * `simulator.inboundToken` is set, and only with `Authorization: Bearer <inboundToken>`.
 * Form fields: From (the phone), To (the user's number), Body.
 */
import { timingSafeEqual } from "node:crypto";
import { z } from "zod";
import {
  FORM_CONTENT_TYPE,
  type InboundEvent,
  WebhookAuthError,
  WebhookInputError,
  type WebhookRoute,
} from "../../src/core/adapter.js";
import type { Logger } from "../../src/core/logger.js";
import { type PhoneOptions, toE164 } from "../sms-kit/index.js";

const formSchema = z.object({
  From: z.string().min(1).max(40),
  To: z.string().min(1).max(40),
  Body: z.string().min(1).max(1600),
});

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function simulatorTextRoute(o: {
  token: string;
  phone: PhoneOptions;
  logger: Logger;
  newId: () => string;
}): WebhookRoute {
  return {
    path: "text",
    accepts: [FORM_CONTENT_TYPE],
    carriesReports: false,
    async handle(req) {
      if (!sameSecret(req.headers.authorization ?? "", `Bearer ${o.token}`)) {
        throw new WebhookAuthError("missing or wrong simulator inbound token");
      }
      const form = formSchema.safeParse(req.form);
      if (!form.success) throw new WebhookInputError("expected From, To and Body (at most 1600 characters)");
      let from: string;
      let to: string;
      try {
        from = toE164(form.data.From, o.phone);
        to = toE164(form.data.To, o.phone);
      } catch (err) {
        throw new WebhookInputError((err as Error).message);
      }
      const event: InboundEvent = {
        kind: "message",
        providerMessageId: o.newId(),
        from,
        to,
        body: form.data.Body,
        mediaUrls: [],
      };
      o.logger.info({ event: "received", from, to, body: event.body }, "simulated network: incoming text");
      return { events: [event], ack: { status: 200, contentType: "text/plain", body: "queued\n" } };
    },
  };
}
