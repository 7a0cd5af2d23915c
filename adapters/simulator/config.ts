/** The simulator's configuration block (`gateways[i].simulator`): the schema holds every default. */
import { z } from "zod";
import type { PaceSetting } from "../../src/core/ports.js";
import { isE164 } from "../sms-kit/index.js";

/** Not paced unless the config says so: the simulated network has no provider limit to keep to. */
export const simulatorDefaultPacing: PaceSetting = "off";

const e164 = z.string().refine(isE164, { error: "must be an E.164 number such as +15551234567" });

export const simulatorConfigSchema = z
  .strictObject({
    replyDelayMs: z
      .number()
      .int()
      .min(0)
      .default(200)
      .describe("Delay in milliseconds before the delivery report and the echo reply of a sent message."),
    reply: z
      .enum(["echo", "none"])
      .default("echo")
      .describe('"echo": every reachable recipient texts the message back; "none": recipients stay silent.'),
    echoPrefix: z.string().default("echo: ").describe("Text put before the body of an echo reply."),
    failNumbers: z
      .array(e164)
      .default([])
      .describe("E.164 numbers whose sends fail at once with a permanent error (like an invalid number)."),
    unreachableNumbers: z
      .array(e164)
      .default([])
      .describe(
        'E.164 numbers that accept a send but then report it "failed" with error 30003 (unreachable).',
      ),
    inboundToken: z
      .string()
      .min(16, "must be at least 16 characters")
      .optional()
      .describe(
        "Enables POST /webhooks/<id>/text (Authorization: Bearer <token>; From, To, Body): a simulated phone texts a user first. Unset: no webhook at all.",
      ),
  })
  .describe("A local, in-process phone network for the demo and tests: no provider; one optional webhook.");

/** The parsed block, defaults applied. */
export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;
/** What an operator may write (defaults optional). */
export type SimulatorConfigInput = z.input<typeof simulatorConfigSchema>;
