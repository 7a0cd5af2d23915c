/** The Telnyx adapter's configuration block (`gateways[i].telnyx`): the schema holds every default. */
import { z } from "zod";
import type { PaceSetting } from "../../src/core/ports.js";
import { LONG_CODE_PACE } from "../sms-kit/index.js";

/**
 * Pacing per sender number when the config sets none: about 1 message/s, a long code's pace
 * (Telnyx sets US long codes' rate by 10DLC campaign, and holds others to less: set `pacing`).
 */
export const telnyxDefaultPacing: PaceSetting = LONG_CODE_PACE;

export const DEFAULT_TELNYX_API_BASE_URL = "https://api.telnyx.com";

/** An Ed25519 public key as the Telnyx portal shows it: 32 bytes, base64. */
export const ed25519PublicKeySchema = z
  .string()
  .trim()
  .refine((key) => /^[A-Za-z0-9+/]{43}=?$/.test(key) && Buffer.from(key, "base64").length === 32, {
    error: "must be the base64 Ed25519 public key from the Telnyx portal (32 bytes)",
  });

export const telnyxConfigSchema = z
  .strictObject({
    apiKey: z
      .string()
      .min(1, { error: "must not be empty" })
      .describe("Telnyx API key (V2), from the portal's API Keys page; sent as a Bearer token."),
    publicKey: ed25519PublicKeySchema.describe(
      "The account's public key (base64 Ed25519, portal: Keys & Credentials > Public Key); checks telnyx-signature-ed25519 on webhooks.",
    ),
    messagingProfileId: z
      .string()
      .min(1, { error: "must not be empty" })
      .optional()
      .describe("Messaging profile to send with (messaging_profile_id); optional when the number has one."),
    apiBaseUrl: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
      .default(DEFAULT_TELNYX_API_BASE_URL)
      .describe("Origin (and optional path prefix) of the REST API; override for tests."),
    requestTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(15_000)
      .describe("Timeout of one REST API request in milliseconds; a timed-out send is retried."),
  })
  .describe("Telnyx Messaging API v2 (SMS/MMS) account used by this gateway.");

/** The parsed block, defaults applied. */
export type TelnyxConfig = z.infer<typeof telnyxConfigSchema>;
/** What an operator may write (defaults optional). */
export type TelnyxConfigInput = z.input<typeof telnyxConfigSchema>;
