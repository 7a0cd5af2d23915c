/**
 * Outbound intake: a user's message stanza becomes a job on the gateway's outbound queue, or an
 * error stanza saying why not. Bounces from the server are logged, never answered.
 */
import type { Element } from "@xmpp/component";
import { Refusal } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { checkOutboundMedia } from "../core/media.js";
import { type RoutingContext, routeOutbound } from "../core/outbound.js";
import { outboundJobId } from "../queue/jobs.js";
import type { Producer } from "../queue/producer.js";
import type { ComponentTransport } from "./component-transport.js";
import { decodeMessage } from "./decode.js";
import { messageError } from "./stanzas.js";

export interface IntakeOptions extends RoutingContext {
  readonly transport: ComponentTransport;
  readonly producer: Producer;
  readonly logger: Logger;
  readonly onOutbound?: (outcome: "enqueued" | "duplicate" | "refused") => void;
}

/** Returns the handler for message stanzas. */
export function outboundIntake(o: IntakeOptions): (el: Element) => Promise<void> {
  const { transport } = o;
  const log = o.logger;
  const reply = (el: Element) =>
    transport.send(el).catch((err: Error) => log.warn({ err: { message: err.message } }, "reply not sent"));

  const onMessage = async (el: Element) => {
    if (el.attrs.type === "error") {
      // A bounce of something we sent (never answered: no loops). Worth an operator's attention.
      const condition = el.getChild("error")?.getChildElements()[0]?.name;
      log.warn(
        { id: el.attrs.id, from: el.attrs.from, to: el.attrs.to, condition },
        "the XMPP server bounced a message",
      );
      return;
    }
    const decoded = decodeMessage(el);
    if (decoded.kind === "ignore") return;
    const { from = "", to = "", id } = el.attrs;
    if (decoded.kind === "refuse") {
      o.onOutbound?.("refused");
      await reply(messageError({ from: to, to: from, id, condition: decoded.condition, text: decoded.text }));
      return;
    }
    try {
      const routed = await routeOutbound(decoded.request, o);
      checkOutboundMedia(routed.mediaUrls, o.adapter.capabilities);
      const {
        gatewayId,
        stanzaId,
        senderJid,
        senderBare,
        contactLocalpart,
        to: rcpt,
        from: number,
        body,
      } = routed;
      const outcome = await o.producer.enqueueOutbound(
        {
          gatewayId,
          stanzaId,
          senderJid,
          senderBare,
          contactLocalpart,
          to: rcpt,
          from: number,
          body,
          mediaUrls: [...routed.mediaUrls],
          receipt: routed.receipt === true,
          ...(routed.replaces === undefined ? {} : { replaces: routed.replaces }),
        },
        outboundJobId(senderBare, stanzaId),
      );
      o.onOutbound?.(outcome);
      log.debug({ stanzaId, outcome }, "outbound message accepted");
    } catch (err) {
      o.onOutbound?.("refused");
      if (err instanceof Refusal) {
        log.info({ stanzaId: id, condition: err.condition }, "message refused");
        await reply(messageError({ from: to, to: from, id, condition: err.condition, text: err.message }));
      } else {
        // Redis refused or timed out: tell the sender instead of dropping the message silently.
        log.error(
          { err: { message: (err as Error).message }, stanzaId: id },
          "could not enqueue the message",
        );
        await reply(
          messageError({
            from: to,
            to: from,
            id,
            condition: "resource-constraint",
            text: "The gateway cannot accept messages right now; please send it again later.",
          }),
        );
      }
    }
  };

  return onMessage;
}
