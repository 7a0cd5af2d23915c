/** The email adapter's configuration block (`gateways[i].email`): the schema holds every default. */
import { z } from "zod";
import type { PaceSetting } from "../../src/core/ports.js";

/** Not paced unless the config says so: a mail relay limits connections, not a sender address. */
export const emailDefaultPacing: PaceSetting = "off";

const HOST_PORT = /^(?<host>\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(?<port>\d{1,5})$/;

/** "host:port" ("[::1]:2525" for IPv6) -> its parts; undefined when it is not one. */
export function splitHostPort(text: string): { host: string; port: number } | undefined {
  const m = HOST_PORT.exec(text);
  const host = m?.groups?.host;
  const port = Number(m?.groups?.port);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  return { host: host.replace(/^\[|\]$/g, ""), port };
}

const relaySchema = z
  .strictObject({
    host: z.string().trim().min(1, { error: "must not be empty" }).describe("Host name or IP of the relay."),
    port: z.number().int().min(1).max(65_535).default(25).describe("Port of the relay."),
    secure: z
      .boolean()
      .default(false)
      .describe(
        "true: implicit TLS (port 465); false: plain, upgraded with STARTTLS when the relay offers it.",
      ),
    user: z
      .string()
      .min(1)
      .optional()
      .describe("User name to authenticate with (with pass); unset: no AUTH."),
    pass: z.string().min(1).optional().describe("Password to authenticate with (never logged)."),
  })
  .refine((r) => (r.user === undefined) === (r.pass === undefined), {
    error: "user and pass go together: set both or neither",
  })
  .describe("The SMTP relay outbound mail goes through (nodemailer, pooled connections).");

export const emailConfigSchema = z
  .strictObject({
    listen: z
      .string()
      .refine((s) => splitHostPort(s) !== undefined, { error: "must be host:port, e.g. 127.0.0.1:2525" })
      .describe(
        "Where the SMTP listener for inbound mail listens (host:port). Put an MTA in front of it (SPF/DKIM/DMARC).",
      ),
    relay: relaySchema,
    maxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .default(10_485_760)
      .describe("Largest inbound mail the listener accepts, in bytes; larger mail is refused with 552."),
  })
  .describe("Email: outbound through an SMTP relay, inbound through an SMTP listener behind an MTA.");

/** The parsed block, defaults applied. */
export type EmailConfig = z.infer<typeof emailConfigSchema>;
/** What an operator may write (defaults optional). */
export type EmailConfigInput = z.input<typeof emailConfigSchema>;
