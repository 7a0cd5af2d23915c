/**
 * Error stanzas for the sender of an outbound job, queued on to-xmpp (so they survive a component
 * that is offline), and the texts they carry. A text never holds a raw error: network errors name
 * the gateway's internal hosts, ports and addresses (`connect ECONNREFUSED 10.0.0.5:443`,
 * `getaddrinfo ENOTFOUND internal-proxy`); the sender reads the adapter's words for the failure
 * (RetryableError.userReason) or a generic reason, the operator the full reason in the log.
 */
import { type RefusalCondition, RetryableError } from "../errors.js";
import type { Enqueue } from "../ports.js";
import { errorJobId, type OutboundJob } from "./jobs.js";

/** What a sender is told when the adapter gave no words of its own for a failure. */
export const GENERIC_SEND_FAILURE = "the provider could not be reached";

export async function tellSender(
  producer: Pick<Enqueue, "enqueueToXmpp">,
  jobId: string,
  data: OutboundJob,
  condition: RefusalCondition,
  text: string,
): Promise<void> {
  await producer.enqueueToXmpp(
    data.gatewayId,
    {
      kind: "error",
      to: data.senderJid,
      contactLocalpart: data.contactLocalpart,
      ...(data.contactResource === undefined ? {} : { contactResource: data.contactResource }),
      stanzaId: data.stanzaId,
      condition,
      text,
    },
    errorJobId(jobId),
  );
}

/** The text after the last attempt failed on a passing fault. */
export function givingUpText(network: string, attempts: number, err: unknown): string {
  const reason = err instanceof RetryableError && err.userReason ? err.userReason : GENERIC_SEND_FAILURE;
  return `The message could not be handed to ${network} after ${attempts} attempts (${reason}).`;
}
