import { z } from "zod";
import type { Pace, PaceSetting } from "../core/ports.js";

/** How fast one sender number may send (README: Pacing per sender number). */
export const paceSchema = z
  .strictObject({
    perSecond: z
      .number()
      .gt(0, { error: "must be above 0 (to send unpaced, write `pacing: off`)" })
      .max(10_000)
      .describe(
        "Messages (parts) per second one sender number sends on average, e.g. 1 for a US long code, 3 to 20 for toll-free, 100 for a short code.",
      ),
    burst: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(3)
      .describe("Messages one number may send at once before the pace applies."),
  })
  .describe(
    "Per-sender-number pace, shared by every worker process: a burst waits in Redis and leaves at this pace instead of bouncing off the provider's 429s.",
  );

/** A pace, or `off`: sent as fast as the workers go (the provider's 429s are retried). */
export const pacingSchema = z.union([z.literal("off"), paceSchema], {
  error: "must be `off` or a mapping with perSecond (and burst), e.g. { perSecond: 1, burst: 3 }",
});

export type PacingSetting = z.infer<typeof pacingSchema>;

/** The pace in force: the config's setting, else the adapter's default; undefined: not paced. */
export function effectivePace(setting: PacingSetting | undefined, fallback: PaceSetting): Pace | undefined {
  const pace = setting ?? fallback;
  return pace === "off" ? undefined : pace;
}

/** "1/s, burst 3" or "off", for check-config. */
export function paceText(pace: Pace | undefined): string {
  return pace === undefined ? "off" : `${pace.perSecond}/s, burst ${pace.burst}`;
}

/** The README table of each adapter's default pace (part of the generated configuration reference). */
export function pacingDefaultsMarkdown(defaults: Readonly<Record<string, PaceSetting>>): string {
  const rows = Object.entries(defaults).map(
    ([kind, pace]) => `| \`${kind}\` | ${paceText(pace === "off" ? undefined : pace)} |`,
  );
  return [
    "**Default pacing per sender number** (when neither `gateways[].pacing` nor `users[].pacing` is set)",
    "",
    "| adapter | pace |",
    "|---|---|",
    ...rows,
    "",
  ].join("\n");
}
