/** The SignalWire flavour's configuration block (`gateways[i].signalwire`): the schema holds every default. */
import { z } from "zod";
import type { PaceSetting } from "../../src/core/ports.js";
import { LONG_CODE_PACE } from "../sms-kit/index.js";

/** Pacing per sender number when the config sets none: SignalWire's long codes send 1 message/s (CA; US 10DLC up to 4). */
export const signalwireDefaultPacing: PaceSetting = LONG_CODE_PACE;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const signalwireConfigSchema = z
  .strictObject({
    spaceUrl: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
      .describe(
        "The project's Space URL, e.g. https://example.signalwire.com (the LaML API is under /api/laml/2010-04-01); override for tests.",
      ),
    projectId: z
      .string()
      .regex(UUID, { error: "must be a SignalWire Project ID (a UUID)" })
      .describe("SignalWire Project ID (a UUID), from the Space's API page."),
    apiToken: z
      .string()
      .min(1, { error: "must not be empty" })
      .describe("SignalWire API token of the project: authenticates API calls."),
    signingKey: z
      .string()
      .min(1, { error: "must not be empty" })
      .describe("The project's Signing Key: checks X-SignalWire-Signature on webhooks."),
    requestTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(15_000)
      .describe("Timeout of one REST API request in milliseconds; a timed-out send is retried."),
  })
  .describe("SignalWire project (Twilio-compatible LaML messaging API) used by this gateway.");

/** The parsed block, defaults applied. */
export type SignalwireConfig = z.infer<typeof signalwireConfigSchema>;
/** What an operator may write (defaults optional). */
export type SignalwireConfigInput = z.input<typeof signalwireConfigSchema>;

/** Where the space's Twilio-compatible API lives: the SDK's paths (/2010-04-01/...) go below it. */
export function lamlBaseUrl(spaceUrl: string): string {
  return `${spaceUrl.replace(/\/+$/, "")}/api/laml`;
}
