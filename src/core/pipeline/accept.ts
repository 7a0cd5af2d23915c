/**
 * Outbound, first step: a user's message (decoded from the stanza) is accepted as a job on the
 * gateway's outbound queue, or refused. Routing (who may send, to where), media, the per-message
 * rules and caps, then the per-user limits last, right before the enqueue. The worker checks the
 * rules and caps again on every job (send.ts).
 */
import type { MediaPolicy } from "../media.js";
import { checkOutboundMedia } from "../media.js";
import type { MessageRules } from "../message-cost.js";
import { type OutboundRequest, type RoutingContext, routeOutbound } from "../outbound.js";
import type { Enqueue, EnqueueOutcome } from "../ports.js";
import { type SendLimits, takeSend } from "../rate-limits.js";
import { outboundJobId } from "./jobs.js";
import { type NetworkRules, rulesFor } from "./network-rules.js";

export interface AcceptOptions extends RoutingContext {
  readonly producer: Pick<Enqueue, "enqueueOutbound">;
  /** Where media URLs may point (default: public hosts only, no credentials). */
  readonly mediaPolicy?: MediaPolicy;
  /** The per-message rules and caps (the worker checks the same ones again). */
  readonly rules: MessageRules;
  /** Per-user limits, checked last, right before the message is queued. */
  readonly sendLimits?: SendLimits;
  /** The network's rules (how a body becomes parts); default: from the adapter's capabilities. */
  readonly network?: NetworkRules;
  /** Senders' display names by their own address (the operator's), before the nick in the stanza. */
  readonly displayNames?: ReadonlyMap<string, string>;
}

/**
 * Enqueues the message; throws a Refusal (LimitRefusal for a configured limit) saying why not, or
 * the enqueue's own error (EnqueueUncertainError when the job may exist).
 */
export async function acceptOutbound(o: AcceptOptions, request: OutboundRequest): Promise<EnqueueOutcome> {
  const r = await routeOutbound(request, o);
  checkOutboundMedia(r.mediaUrls, o.adapter.capabilities, o.mediaPolicy);
  const network = o.network ?? rulesFor(o.adapter);
  const plan = network.plan(r.body, r.replaces, o.adapter.capabilities.maxBodyLength, o.rules);
  const jobId = outboundJobId(r.senderBare, r.stanzaId);
  const senderName = o.displayNames?.get(r.from) ?? r.senderName;
  // A resent stanza (same id) is counted once; the producer then drops it as a duplicate. The
  // limits are taken while the producer checks for a duplicate: one round trip for both.
  const once = r.stanzaId === undefined ? undefined : jobId;
  const limits = o.sendLimits && takeSend(o.sendLimits, r.gatewayId, r.senderBare, plan.segments, once);
  // Its refusal reaches the caller through the enqueue; this only keeps it from going unhandled
  // should the enqueue throw before taking it.
  limits?.catch(() => undefined);
  return o.producer.enqueueOutbound(
    {
      gatewayId: r.gatewayId,
      stanzaId: r.stanzaId,
      senderJid: r.senderJid,
      senderBare: r.senderBare,
      contactLocalpart: r.contactLocalpart,
      ...(r.contactResource === undefined ? {} : { contactResource: r.contactResource }),
      to: r.to,
      from: r.from,
      body: r.body,
      mediaUrls: [...r.mediaUrls],
      receipt: r.receipt === true,
      ...(r.replaces === undefined ? {} : { replaces: r.replaces }),
      ...(r.subject === undefined ? {} : { subject: r.subject }),
      ...(senderName === undefined ? {} : { senderName }),
      account: r.account,
    },
    jobId,
    limits,
  );
}
