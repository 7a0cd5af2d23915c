/**
 * The component role of one gateway: holds the XMPP connection, turns message stanzas into
 * outbound jobs (or error replies), and writes the to-xmpp queue's jobs to the live connection.
 * That queue's worker runs only while the component is online, so deliveries wait in Redis while
 * the XMPP server is away and go out after the reconnect.
 */
import type { Element } from "@xmpp/component";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { NetworkAdapter } from "../core/adapter.js";
import { Refusal } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { routeOutbound } from "../core/outbound.js";
import type { RegistrationStore } from "../core/registrations.js";
import { outboundJobId, toXmppJobSchema } from "../queue/jobs.js";
import { bullPrefix, toXmppQueueName } from "../queue/names.js";
import type { Producer } from "../queue/producer.js";
import { backoffStrategy } from "../queue/retry.js";
import { decodeMessage } from "./decode.js";
import { chatMessage, messageError } from "./stanzas.js";
import type { XmppTransport } from "./transport.js";

export interface ComponentRoleOptions {
  readonly gatewayId: string;
  readonly transport: XmppTransport;
  readonly adapter: NetworkAdapter;
  readonly producer: Producer;
  readonly registrations: RegistrationStore;
  readonly allowedDomains: ReadonlySet<string>;
  /** A connection with maxRetriesPerRequest: null, for the delivery worker. */
  readonly workerRedis: Redis;
  readonly prefix: string;
  readonly logger: Logger;
  readonly onOutbound?: (outcome: "enqueued" | "duplicate" | "refused") => void;
  readonly onInbound?: (outcome: "delivered" | "unroutable") => void;
}

export interface ComponentRole {
  stop(): Promise<void>;
}

export function startComponentRole(o: ComponentRoleOptions): ComponentRole {
  const { transport } = o;
  const domain = transport.domain;
  const log = o.logger.child({ gateway: o.gatewayId, role: "component" });

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
      const routed = await routeOutbound(decoded.request, {
        gatewayId: o.gatewayId,
        allowedDomains: o.allowedDomains,
        adapter: o.adapter,
        registrations: o.registrations,
      });
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

  transport.on("stanza", (el) => {
    if (el.name === "message") void onMessage(el);
  });

  const deliver = async (job: Job) => {
    const parsed = toXmppJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed job: ${parsed.error.message}`);
    const data = parsed.data;
    if (data.kind === "error") {
      await transport.send(
        messageError({
          from: `${data.contactLocalpart}@${domain}`,
          to: data.to,
          id: data.stanzaId,
          condition: data.condition,
          text: data.text,
        }),
      );
      return;
    }
    const owner = await o.registrations.byNumber(o.gatewayId, data.to);
    if (!owner) {
      o.onInbound?.("unroutable");
      // Kept in the failed set (never dropped) until an operator binds the number and retries it.
      throw new UnrecoverableError(`no user owns ${data.to} on gateway ${o.gatewayId}`);
    }
    const from = `${o.adapter.formatAddress(data.from)}@${domain}`;
    await transport.send(
      chatMessage({
        from,
        to: owner.jid,
        id: job.id ?? data.providerMessageId,
        body: data.body,
        mediaUrls: data.mediaUrls,
      }),
    );
    o.onInbound?.("delivered");
    log.debug({ jobId: job.id, to: owner.jid }, "delivered to XMPP");
  };

  const worker = new Worker(toXmppQueueName(o.gatewayId), deliver, {
    connection: o.workerRedis,
    prefix: bullPrefix(o.prefix),
    concurrency: 20,
    autorun: false,
    settings: { backoffStrategy: backoffStrategy({ baseMs: 200, maxMs: 5000 }) },
  });
  worker.on("error", (err) => log.error({ err: { message: err.message } }, "delivery worker error"));
  worker.on("paused", () => log.debug("delivery worker paused"));
  worker.on("resumed", () => log.debug("delivery worker resumed"));
  worker.on("failed", (job, err) => {
    if (err instanceof UnrecoverableError || err.name === "UnrecoverableError")
      log.warn({ jobId: job?.id, reason: err.message }, "delivery kept in the failed set");
  });

  let running = false;
  const onOnline = () => {
    if (!running) {
      running = true;
      worker
        .run()
        .catch((err: Error) => log.error({ err: { message: err.message } }, "delivery worker stopped"));
    } else if (worker.isPaused()) worker.resume();
  };
  const onOffline = () => {
    if (running && !worker.isPaused()) void worker.pause(true);
  };
  transport.on("online", onOnline);
  transport.on("offline", onOffline);
  if (transport.online) onOnline();

  return {
    async stop() {
      transport.off("online", onOnline);
      transport.off("offline", onOffline);
      await worker.close();
    },
  };
}
