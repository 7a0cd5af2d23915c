/**
 * What differs between Twilio and a Twilio-compatible provider (SignalWire's LaML API): the
 * provider's name in reasons and error texts, the shape of its message ids, the headers its
 * signature may come in, and what the operator's hints name. Same form fields, same HMAC-SHA1
 * scheme, same error codes.
 */
import { z } from "zod";

export interface TwilioFlavour {
  /** The provider's name, in log lines and refusal reasons. */
  readonly name: string;
  /** A message id as the provider writes it (MessageSid of webhooks). */
  readonly messageId: z.ZodString;
  /** Signature headers in order of preference (lower case); the first present one is checked. */
  readonly signatureHeaders: readonly string[];
  /** What names the account in the gateway's config, for hints to the operator. */
  readonly accountFields: string;
  /** Where the operator changes the account's settings, for hints. */
  readonly console: string;
  /** Where an error code is explained (the code is appended), when the provider has such pages. */
  readonly errorDocsUrl?: string;
}

export const TWILIO_FLAVOUR: TwilioFlavour = {
  name: "Twilio",
  messageId: z
    .string({ error: "is required" })
    .regex(/^(SM|MM)[0-9a-fA-F]{32}$/, { error: "must be SM or MM followed by 32 hex digits" }),
  signatureHeaders: ["x-twilio-signature"],
  accountFields: "account SID and API base URL",
  console: "the Twilio console (Messaging geographic permissions)",
  errorDocsUrl: "https://www.twilio.com/docs/api/errors/",
};

/** SignalWire: UUID message ids, X-SignalWire-Signature (X-Twilio-Signature accepted as alias). */
export const SIGNALWIRE_FLAVOUR: TwilioFlavour = {
  name: "SignalWire",
  messageId: z
    .string({ error: "is required" })
    .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
      error: "must be a UUID",
    }),
  signatureHeaders: ["x-signalwire-signature", "x-twilio-signature"],
  accountFields: "project ID and space URL",
  console: "the SignalWire dashboard",
};
