/**
 * The template's configuration block (`gateways[i].template`; rename with the folder). Every
 * option has its default here and one .describe() line: the README's config reference is
 * generated from them (`npm run docs:config`). Secrets: name them *key, *secret, *token or
 * *password so the logger scrubs them.
 */
import { z } from "zod";

export const templateConfigSchema = z
  .strictObject({
    apiBaseUrl: z.url().describe("Where the provider's API is (replace with your provider's default)."),
    apiKey: z.string().min(1).describe("The operator's API credential (write your provider's name for it)."),
    requestTimeoutMs: z
      .number()
      .int()
      .min(1)
      .default(15_000)
      .describe("Bound of one API request; a timed-out send is retried by the queue."),
  })
  .describe("Template adapter: copy adapters/template/ to start a new network (not registered).");

export type TemplateConfig = z.infer<typeof templateConfigSchema>;
