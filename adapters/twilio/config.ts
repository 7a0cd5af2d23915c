/** The Twilio adapter's configuration block (`gateways[i].twilio`): the schema holds every default. */
import { z } from "zod";
import type { PaceSetting } from "../../src/core/ports.js";
import { LONG_CODE_PACE } from "../sms-kit/index.js";

/** Pacing per sender number when the config sets none: a Twilio long code sends 1 segment/s. */
export const twilioDefaultPacing: PaceSetting = LONG_CODE_PACE;

export const DEFAULT_TWILIO_API_BASE_URL = "https://api.twilio.com";

export const twilioConfigSchema = z
  .strictObject({
    accountSid: z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, { error: "must be a Twilio Account SID: AC followed by 32 hex digits" })
      .describe("Twilio Account SID (AC + 32 hex digits), from the Twilio console."),
    authToken: z
      .string()
      .min(1, { error: "must not be empty" })
      .describe("Twilio Auth Token: authenticates API calls and checks X-Twilio-Signature on webhooks."),
    apiBaseUrl: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
      .default(DEFAULT_TWILIO_API_BASE_URL)
      .describe(
        "Origin (and optional path prefix) of the REST API; override for Twilio-compatible providers and tests.",
      ),
    requestTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(15_000)
      .describe("Timeout of one REST API request in milliseconds; a timed-out send is retried."),
  })
  .describe("Twilio Programmable Messaging (SMS/MMS) account used by this gateway.");

/** The parsed block, defaults applied. */
export type TwilioConfig = z.infer<typeof twilioConfigSchema>;
/** What an operator may write (defaults optional). */
export type TwilioConfigInput = z.input<typeof twilioConfigSchema>;
