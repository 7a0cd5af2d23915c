/** The loopback adapter's configuration block (`gateways[i].loopback`): the schema holds every default. */
import { z } from "zod";

export const loopbackConfigSchema = z
  .strictObject({
    apiUrl: z.url().describe("Base URL of the loop network's API (its stand-in in tests)."),
    apiKey: z.string().min(8).describe("The operator's API key, sent as a bearer token with every send."),
    webhookSecret: z
      .string()
      .min(16)
      .describe("Key of the HMAC-SHA256 the loop network signs its webhooks with (X-Loop-Signature)."),
    requestTimeoutMs: z.number().int().min(1).default(5_000).describe("Bound of one API request."),
  })
  .describe("A minimal network with email-like addresses, defined only under test/ (the kit's proof).");

export type LoopbackConfig = z.infer<typeof loopbackConfigSchema>;
