/**
 * Outbound intake: a user's message stanza becomes a job on the gateway's outbound queue, or an
 * error stanza saying why not. Bounces from the server are logged, never answered.
 */
import type { Element } from "@xmpp/component";
import { Refusal, type RefusalCondition } from "../core/errors.js";
import type { IntakeLag } from "../core/intake-lag.js";
import { bareJid } from "../core/jid.js";
import type { Logger } from "../core/logger.js";
import { LimitRefusal } from "../core/message-cost.js";
import { type AcceptOptions, acceptOutbound } from "../core/pipeline/accept.js";
import { EnqueueUncertainError } from "../core/ports.js";
import type { ComponentTransport } from "./component-transport.js";
import { decodeMessage } from "./decode.js";
import { parseJid } from "./jid.js";
import { messageError } from "./stanzas.js";

/** What the intake needs; it hands the pipeline the XMPP side's JID parser itself. */
export interface IntakeOptions extends Omit<AcceptOptions, "parseJid"> {
  readonly transport: ComponentTransport;
  readonly logger: Logger;
  /** Told each message's outcome; an accepted one with the seconds from its read to Redis's answer. */
  readonly onOutbound?: (outcome: "enqueued" | "duplicate" | "refused", seconds?: number) => void;
  /** Told the name of a limit that refused a message (the metric). */
  readonly onLimited?: (limit: string) => void;
  /**
   * Messages being enqueued at once before the intake stops reading from the server (default
   * 5,000); it reads again once half of them are through. Bounds memory when Redis is slow.
   */
  readonly maxInFlight?: number;
  /** Told how long each stanza took (the worker here sends fewer while the intake is behind). */
  readonly lag?: IntakeLag;
}

/** Returns the handler for message stanzas. */
export function outboundIntake(o: IntakeOptions): (el: Element) => Promise<void> {
  const { transport } = o;
  const withParser: IntakeOptions & AcceptOptions = { ...o, parseJid };
  const log = o.logger;
  const maxInFlight = o.maxInFlight ?? 5_000;
  let inFlight = 0;
  let held = false;
  const hold = (on: boolean) => {
    held = on;
    transport.holdIncoming(on);
    if (on) log.warn({ inFlight }, "Redis is not keeping up: reading no more stanzas until it does");
    else log.info({ inFlight }, "reading stanzas again");
  };

  return async (el: Element) => {
    if (++inFlight >= maxInFlight && !held) hold(true);
    const readAt = performance.now();
    try {
      await handle(withParser, el, readAt);
    } finally {
      o.lag?.took(performance.now() - readAt);
      if (--inFlight <= maxInFlight / 2 && held) hold(false);
    }
  };
}

/** An error stanza back to the sender of `el`, from the JID she wrote to. */
type Refuse = (condition: RefusalCondition, text: string) => Promise<void>;

async function handle(o: IntakeOptions & AcceptOptions, el: Element, readAt: number): Promise<void> {
  if (el.attrs.type === "error") {
    // A bounce of something we sent (never answered: no loops). Worth an operator's attention.
    const condition = el.getChild("error")?.getChildElements()[0]?.name;
    o.logger.warn(
      { id: el.attrs.id, from: el.attrs.from, to: el.attrs.to, condition },
      "the XMPP server bounced a message",
    );
    return;
  }
  const decoded = decodeMessage(el);
  if (decoded.kind === "ignore") return;
  const { from = "", to = "", id } = el.attrs;
  const refuse: Refuse = async (condition, text) => {
    o.onOutbound?.("refused");
    await o.transport
      .send(messageError({ from: to, to: from, id, condition, text }))
      .catch((err: Error) => o.logger.warn({ err: { message: err.message } }, "reply not sent"));
  };
  if (decoded.kind === "refuse") {
    await refuse(decoded.condition, decoded.text);
    return;
  }
  try {
    const outcome = await acceptOutbound(o, decoded.request);
    o.onOutbound?.(outcome, (performance.now() - readAt) / 1000);
    o.logger.debug({ stanzaId: decoded.request.stanzaId, outcome }, "outbound message accepted");
  } catch (err) {
    await refused(o, err, { from, id }, refuse);
  }
}

/** Tells the sender why her message was not accepted, and the operator what went wrong. */
async function refused(
  o: IntakeOptions,
  err: unknown,
  stanza: { readonly from: string; readonly id: string | undefined },
  refuse: Refuse,
): Promise<void> {
  const log = o.logger;
  const { from, id } = stanza;
  if (err instanceof LimitRefusal) {
    o.onLimited?.(err.limit);
    const jid = parseJid(from);
    // Who and which limit, never the body.
    log.warn(
      { jid: jid ? bareJid(jid) : from, limit: err.limit, condition: err.condition, stanzaId: id },
      "message refused: over a limit",
    );
    await refuse(err.condition, err.message);
  } else if (err instanceof Refusal) {
    log.info({ stanzaId: id, condition: err.condition }, "message refused");
    await refuse(err.condition, err.message);
  } else if (err instanceof EnqueueUncertainError) {
    // Redis stopped answering after the add may have reached it: the job may exist, and a
    // resend could arrive twice. Say what is known.
    log.error({ err: { message: err.message }, stanzaId: id }, "could not confirm the enqueue");
    await refuse(
      "remote-server-timeout",
      "The gateway could not confirm that it accepted this message (its queue stopped answering); it may still be sent. Check with the recipient before sending it again.",
    );
  } else {
    // Known not enqueued (Redis refused, or never got the add): tell the sender instead of
    // dropping the message silently.
    log.error({ err: { message: (err as Error).message }, stanzaId: id }, "could not enqueue the message");
    await refuse(
      "resource-constraint",
      "The gateway cannot accept messages right now; please send it again later.",
    );
  }
}
