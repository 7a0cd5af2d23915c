import { z } from "zod";

/** How fast one sender number may send (README: Pacing per sender number). */
export const pacingSchema = z
  .strictObject({
    perSecond: z
      .number()
      .positive()
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
