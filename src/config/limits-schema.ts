/**
 * What one message and one user may cost, and where messages may go: the `limits` and
 * `destinations` blocks of a gateway (README "Cost limits" explains the defaults).
 */
import { z } from "zod";

const count = (dflt: number, doc: string) => z.number().int().min(1).default(dflt).describe(doc);

/** Rates and daily quotas of one user: default and doc line of each. */
const PER_USER = {
  messagesPerMinute: [60, "Messages a user may send per minute, on average (the rate the burst refills at)."],
  messagesBurst: [30, "Messages a user may send at once before the per-minute rate applies."],
  messagesPerDay: [1000, "Messages a user may send per UTC day."],
  segmentsPerMinute: [200, "SMS segments a user may send per minute, on average."],
  segmentsBurst: [100, "SMS segments a user may send at once (at least maxSegments)."],
  segmentsPerDay: [3000, "SMS segments a user may send per UTC day (at least maxSegments)."],
} as const;
type PerUserField = keyof typeof PER_USER;
const fields = Object.entries(PER_USER) as [PerUserField, readonly [number, string]][];

export const perUserLimitsSchema = z
  .object(
    Object.fromEntries(fields.map(([k, [dflt, doc]]) => [k, count(dflt, doc)])) as {
      [K in PerUserField]: z.ZodDefault<z.ZodNumber>;
    },
  )
  .strict()
  .prefault({});

const overrideSchema = z
  .object({
    jid: z
      .string()
      .regex(/^[^@/\s"&'<>:]+@[a-z0-9.-]+$/, "must be a bare JID, e.g. alice@example.org")
      .describe("The user (bare JID; provisioned and self-service users alike)."),
    ...(Object.fromEntries(
      fields.map(([k, [, doc]]) => [k, z.number().int().min(1).optional().describe(doc)]),
    ) as { [K in PerUserField]: z.ZodOptional<z.ZodNumber> }),
  })
  .strict();

export const limitsSchema = z
  .object({
    maxBodyLength: count(
      4800,
      "Longest body accepted, in characters (UTF-16 code units, as Twilio counts); longer ones are refused with not-acceptable before anything is queued.",
    ),
    maxParts: count(3, "Most provider messages one message may be split into."),
    maxSegments: count(40, "Most SMS segments one message may cost, over all its parts."),
    perUser: perUserLimitsSchema.describe("Default limits of every user of the gateway."),
    users: z
      .array(overrideSchema)
      .default([])
      .describe("Per-user overrides of the perUser limits, by bare JID; unset fields keep the default."),
  })
  .strict()
  .prefault({})
  .superRefine((l, ctx) => {
    const check = (
      path: (string | number)[],
      values: { segmentsBurst?: number; segmentsPerDay?: number },
    ) => {
      for (const key of ["segmentsBurst", "segmentsPerDay"] as const) {
        const value = values[key];
        if (value !== undefined && value < l.maxSegments) {
          ctx.addIssue({
            code: "custom",
            path: [...path, key],
            message: `must be at least maxSegments (${l.maxSegments}), or the longest message could never be sent`,
          });
        }
      }
    };
    check(["perUser"], l.perUser);
    const seen = new Set<string>();
    l.users.forEach((u, i) => {
      if (seen.has(u.jid)) {
        ctx.addIssue({ code: "custom", path: ["users", i, "jid"], message: `${u.jid} is listed twice` });
      }
      seen.add(u.jid);
      check(["users", i], u);
    });
  });

/** How often one user may have a self-service registration checked (the `registration` block). */
export const registrationCheckFields = {
  checksPerWindow: count(
    5,
    "Self-service registration attempts (each one a provider API call) a user may make per checkWindowSeconds; more get resource-constraint.",
  ),
  checkWindowSeconds: count(600, "The window of checksPerWindow (attempts come back one by one over it)."),
};

/** Number types a destination may have (libphonenumber's types, plus two families by country code). */
export const NUMBER_TYPES = [
  "fixed-line",
  "mobile",
  "fixed-line-or-mobile",
  "toll-free",
  "premium-rate",
  "shared-cost",
  "voip",
  "personal-number",
  "pager",
  "uan",
  "voicemail",
  "satellite",
  "international-network",
  "unknown",
] as const;

export const destinationsSchema = z
  .object({
    allowedCountries: z
      .array(z.string().regex(/^([A-Z]{2}|001)$/, "must be an ISO 3166 region code such as US, or 001"))
      .default([])
      .describe(
        "Countries (ISO 3166 regions; 001 = international numbers such as +800, +881) messages may go to; empty: all.",
      ),
    allowedTypes: z
      .array(z.enum(NUMBER_TYPES))
      .default([])
      .describe("Number types messages may go to; empty: every type not in refusedTypes."),
    refusedTypes: z
      .array(z.enum(NUMBER_TYPES))
      .default(["premium-rate", "shared-cost", "satellite", "international-network"])
      .describe(
        "Number types refused with policy-violation. satellite: +870 (Inmarsat), +881; international-network: +882, +883; the rest as libphonenumber types them (+979 is premium-rate).",
      ),
  })
  .strict()
  .prefault({});

export type LimitsConfig = z.infer<typeof limitsSchema>;
export type DestinationsConfig = z.infer<typeof destinationsSchema>;
