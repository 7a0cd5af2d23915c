/**
 * What the pipeline keeps about a message between its hops: the record behind a provider id (for
 * delivery reports) and a report that arrived before that record. Checked with zod whenever read.
 */
import { z } from "zod";
import { inboundStatusEventSchema } from "../adapter.js";

export const sentRecordSchema = z
  .object({
    /** The outbound job (one per stanza). */
    jobId: z.string().min(1),
    senderJid: z.string().min(1),
    stanzaId: z.string().optional(),
    contactLocalpart: z.string(),
    contactResource: z.string().optional(),
    receipt: z.boolean(),
    /** How many provider messages the stanza became. */
    parts: z.number().int().min(1),
    /**
     * The self-service account it was sent with (the adapter's name for it, e.g. an AccountSid);
     * absent for the gateway's own account. Only reports signed by this account apply to it.
     */
    account: z.string().optional(),
    /** When this part was handed to the provider (ms since the epoch), for the report delay. */
    sentAt: z.number().optional(),
  })
  .strict();
export type SentRecord = z.infer<typeof sentRecordSchema>;

/** A report held until its message id is recorded: the inbound status event itself. */
export const earlyReportSchema = inboundStatusEventSchema;
