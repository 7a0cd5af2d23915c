/**
 * Options that bound what hostile or careless input can cost: how long dead letters are kept,
 * how the webhook server limits slow and numerous connections, and where media links may point.
 * Spread into the blocks of schema.ts (`queue`, `http`) or used as a block of their own (`media`).
 */
import { z } from "zod";

const ms = (dflt: number, min: number) => z.number().int().min(min).default(dflt);

/** Fields of the `queue` block. */
export const failedJobFields = {
  keepFailedDays: z
    .number()
    .int()
    .min(1)
    .default(14)
    .describe(
      "Failed jobs (dead letters) are removed this many days after they failed (checked whenever another job of the queue fails).",
    ),
  keepFailedCount: z
    .number()
    .int()
    .min(1)
    .default(10_000)
    .describe("At most this many failed jobs are kept per queue; the oldest go first."),
  enqueueConfirmMs: ms(15_000, 0).describe(
    "When Redis drops the connection while a message is being queued, how long the gateway keeps asking whether the job got in before it answers the sender.",
  ),
};

/** Fields of the `http` block. */
export const webhookServerFields = {
  headersTimeoutMs: ms(10_000, 100).describe(
    "A request whose headers have not all arrived after this long is answered 408 and closed.",
  ),
  requestTimeoutMs: ms(15_000, 100).describe(
    "A request (headers and body) not received in full after this long is answered 408 and closed.",
  ),
  idleTimeoutMs: ms(30_000, 100).describe("A connection on which nothing moves for this long is closed."),
  keepAliveTimeoutMs: ms(5_000, 100).describe(
    "How long an idle keep-alive connection waits for its next request.",
  ),
  maxRequestsPerSocket: z
    .number()
    .int()
    .min(0)
    .default(1_000)
    .describe("Requests served on one keep-alive connection before it is closed (0: no limit)."),
  maxConnections: z
    .number()
    .int()
    .min(1)
    .default(1_000)
    .describe("Open connections at once; a connection over this is closed at once (providers retry)."),
  maxEventLoopDelayMs: ms(1_000, 0).describe(
    "Load shedding: while the event loop lags more than this, requests are answered 503 with Retry-After (0: off).",
  ),
  retryAfterSeconds: z.number().int().min(1).default(10).describe("The Retry-After of a load-shedding 503."),
};

export const mediaSchema = z
  .object({
    allowPrivateHosts: z
      .boolean()
      .default(false)
      .describe(
        "Let outbound media URLs point to loopback, link-local, private, unspecified or other special-purpose IP addresses, or to localhost (host names are not resolved: the provider fetches them).",
      ),
    allowCredentials: z
      .boolean()
      .default(false)
      .describe(
        "Let outbound media URLs carry a user name or password (https://user:pass@host/...); they would reach the provider and the logs.",
      ),
  })
  .strict()
  .prefault({});
