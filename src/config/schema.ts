/**
 * The configuration schema: the single source of every default, with one doc line per option
 * (`.describe`). The README's configuration reference is generated from it (see config/reference.ts).
 *
 * Adapter-specific blocks (e.g. `gateways[].twilio`) are validated by the adapter's own schema,
 * chosen by `gateways[].adapter` (see load.ts); this file names no adapter.
 */

import { z } from "zod";
import { failedJobFields, mediaSchema, webhookServerFields } from "./bounds.js";
import { checkCredentialKeys, credentialsSchema } from "./credentials.js";
import { crossChecks } from "./cross-checks.js";
import { bareJid, domainName, hostPort, portInRange, portRangeError, regions } from "./fields.js";
import { destinationsSchema, limitsSchema, registrationCheckFields } from "./limits-schema.js";
import { pacingSchema } from "./pacing-schema.js";
import { userSchema } from "./users-schema.js";

export { userSchema } from "./users-schema.js";

export const xmppSchema = z
  .object({
    service: z
      .string()
      .regex(/^xmpp:\/\/[^/]+:\d+$/, "must look like xmpp://host:port")
      .refine(portInRange, portRangeError)
      .default("xmpp://127.0.0.1:5347")
      .describe("The XMPP server's component port (XEP-0114), as xmpp://host:port."),
    pingIntervalMs: z
      .number()
      .int()
      .min(1000)
      .default(30_000)
      .describe("How often the component pings the server (XEP-0199) to catch half-open connections."),
    pingTimeoutMs: z
      .number()
      .int()
      .min(100)
      .default(10_000)
      .describe(
        "A ping (periodic, or the one behind each turn of deliveries) unanswered this long drops the connection and reconnects; the deliveries it was to confirm are retried.",
      ),
    reconnectInitialDelayMs: z
      .number()
      .int()
      .min(10)
      .default(500)
      .describe("First reconnect delay; doubles on each failed attempt, with full jitter."),
    reconnectMaxDelayMs: z
      .number()
      .int()
      .min(100)
      .default(30_000)
      .describe("Upper bound of the reconnect delay."),
  })
  .strict()
  .prefault({});

export const redisSchema = z
  .object({
    url: z
      .string()
      .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
      .default("redis://127.0.0.1:6379")
      .describe(
        "Redis connection URL (rediss:// for TLS). Use AOF persistence and maxmemory-policy noeviction.",
      ),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, _ . - only")
      .default("xgw")
      .describe("Key prefix; wrapped in a {hash tag} so every key of the gateway lands on one Cluster slot."),
  })
  .strict()
  .prefault({});

export const httpSchema = z
  .object({
    listen: hostPort.default("127.0.0.1:8080").describe("Where the webhook server listens (host:port)."),
    internalListen: hostPort
      .optional()
      .describe(
        "Where /metrics, /healthz and /readyz are served for monitoring (host:port, keep it private), in every role. Unset: no /metrics at all; /healthz and /readyz stay on http.listen.",
      ),
    publicUrl: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
      .transform((u) => u.replace(/\/+$/, ""))
      .default("http://127.0.0.1:8080")
      .describe(
        "The URL providers reach this server at; webhook URLs are built from it and signatures are checked against it.",
      ),
    bodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .default(256 * 1024)
      .describe("Largest webhook body accepted; larger ones get 413."),
    ...webhookServerFields,
  })
  .strict()
  .prefault({});

export const queueSchema = z
  .object({
    outboundAttempts: z
      .number()
      .int()
      .min(1)
      .default(8)
      .describe("Attempts to hand a message to the provider before the sender gets remote-server-timeout."),
    outboundBackoffMs: z
      .number()
      .int()
      .min(1)
      .default(2_000)
      .describe("Base delay of the outbound retry backoff (exponential, with jitter; Retry-After wins)."),
    maxBackoffMs: z.number().int().min(1).default(300_000).describe("Upper bound of any retry delay."),
    outboundConcurrency: z
      .number()
      .int()
      .min(1)
      .default(50)
      .describe("Provider requests in flight at once, per gateway and worker process."),
    deliveryConcurrency: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(200)
      .describe(
        "Inbound deliveries (messages, receipts, errors) written to the XMPP server at once, per gateway and component process; each waits for the server to confirm it read them.",
      ),
    deliveryAttempts: z
      .number()
      .int()
      .min(1)
      .default(1000)
      .describe("Attempts to write an inbound message to the XMPP server (it waits while the link is down)."),
    keepCompleted: z
      .number()
      .int()
      .min(0)
      .default(1000)
      .describe("Completed jobs kept per queue (older ones are removed; dedup ids are kept separately)."),
    dedupTtlSeconds: z
      .number()
      .int()
      .min(60)
      .default(30 * 24 * 3600)
      .describe("How long a provider message id or stanza id is remembered, to drop duplicates and replays."),
    optOutTtlSeconds: z
      .number()
      .int()
      .min(30 * 24 * 3600, "must be at least 30 days (2592000): a STOP must not expire soon")
      .default(3 * 365 * 24 * 3600)
      .describe("How long a pair's STOP or START is kept after its latest event (each event restarts it)."),
    messageMapTtlSeconds: z
      .number()
      .int()
      .min(60)
      .default(3 * 24 * 3600)
      .describe(
        "How long a sent message's provider id is mapped back to its stanza, for delivery receipts and errors.",
      ),
    lockDurationMs: z
      .number()
      .int()
      .min(200)
      .default(30_000)
      .describe(
        "How long a worker holds a job without renewing its lock; a job of a crashed worker is retried after this.",
      ),
    stalledIntervalMs: z
      .number()
      .int()
      .min(100)
      .default(30_000)
      .describe(
        "How often workers look for jobs of crashed workers (stalled jobs) and return them to the queue.",
      ),
    ...failedJobFields,
  })
  .strict()
  .prefault({});

/** A gateway without its adapter-specific block (that one is checked by the adapter's schema). */
export const gatewaySchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "lower-case letters, digits and -, at most 32")
      .describe("Short name; appears in webhook paths (/webhooks/<id>/...) and queue names."),
    domain: domainName.describe("The component's JID, e.g. sms.example.org."),
    name: z.string().min(1).optional().describe("Human-readable name shown in service discovery."),
    secret: z
      .string()
      .min(1, "must not be empty")
      .describe("The component secret shared with the XMPP server."),
    adapter: z.string().min(1).describe("Which network adapter carries this gateway's messages."),
    defaultRegion: z
      .string()
      .regex(/^[A-Z]{2}$/, "must be an ISO 3166 region code such as US")
      .refine((r) => regions.has(r), {
        error: "is not a region libphonenumber knows (use a code such as US, GB, DE)",
      })
      .optional()
      .describe("Region for numbers typed without a country code (turned into E.164)."),
    numberCheck: z
      .enum(["possible", "valid"])
      .default("possible")
      .describe(
        "possible: number length fits its country; valid: the number is also in an allocated range (libphonenumber metadata).",
      ),
    users: z.array(userSchema).default([]).describe("Operator-provisioned users: who owns which number."),
    longMessages: z
      .enum(["split", "refuse"])
      .default("split")
      .describe(
        "A body longer than the provider takes in one message: split on word boundaries into parts sent in order, or refuse it with not-acceptable.",
      ),
    corrections: z
      .enum(["send", "refuse"])
      .default("send")
      .describe(
        'XEP-0308 corrections: send the corrected text as a new message starting with "Correction: ", or refuse them with an error.',
      ),
    registration: z
      .object({
        mode: z
          .enum(["provisioned", "self-service"])
          .default("provisioned")
          .describe(
            "provisioned: numbers are bound by the operator (users, admin commands); self-service: users register their own number (and provider credentials) with XEP-0077 or an ad-hoc command, checked with the provider.",
          ),
        ...registrationCheckFields,
      })
      .strict()
      .prefault({}),
    limits: limitsSchema.describe("What one message and one user may cost (README: Cost limits)."),
    pacing: pacingSchema
      .optional()
      .describe(
        "Pace of every sender number of this gateway (a user's own `pacing` wins), or `off`. Absent: the adapter's default (README: Pacing per sender number; `check-config` prints the pace in force).",
      ),
    destinations: destinationsSchema.describe("Where messages may go (README: Cost limits)."),
  })
  .loose();

export const configSchema = z
  .object({
    xmpp: xmppSchema,
    redis: redisSchema,
    http: httpSchema,
    queue: queueSchema,
    credentials: credentialsSchema,
    media: mediaSchema,
    log: z
      .object({
        level: z
          .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
          .default("info")
          .describe("Log level; overridden by --log-level or XGW_LOG_LEVEL."),
        format: z
          .enum(["auto", "json", "pretty"])
          .default("auto")
          .describe(
            "json: one JSON object a line; pretty: readable lines (pino-pretty); auto: pretty on a terminal, json otherwise.",
          ),
      })
      .strict()
      .prefault({}),
    allowedDomains: z
      .array(domainName)
      .min(1, "list at least one domain")
      .describe("Only users of these XMPP domains may use the gateway: it is never an open relay."),
    admins: z
      .array(bareJid)
      .default([])
      .describe(
        "Bare JIDs allowed to run the admin commands (bind/unbind any user, list users, queue status, retry failed jobs).",
      ),
    gateways: z
      .array(gatewaySchema)
      .min(1, "configure at least one gateway")
      .describe("The gateways to run."),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    checkCredentialKeys(cfg, ctx);
    crossChecks(cfg, ctx);
  });

export type Config = z.infer<typeof configSchema>;
export type GatewayConfig = z.infer<typeof gatewaySchema>;
export type UserBinding = z.infer<typeof userSchema>;
