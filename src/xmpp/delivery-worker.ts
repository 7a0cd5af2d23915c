/**
 * The delivery worker: writes the to-xmpp queue's jobs (inbound messages, receipts, errors) to the
 * live component connection. It runs only while the component is online, so deliveries wait in
 * Redis while the XMPP server is away and go out after the reconnect.
 *
 * A job completes only once the server proved it read the stanzas (transport.sendConfirmed: an
 * answer to a ping written after them on the same stream). If the stream dies first, the job
 * fails this attempt and BullMQ retries it with the same job id, hence the same stanza id.
 *
 * Texts, their media messages and receipts come from the contact's full JID (CONTACT_RESOURCE);
 * an error comes from the JID the user wrote to (RFC 6120 8.3.1), bare or full.
 */
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { NetworkAdapter } from "../core/adapter.js";
import type { Logger } from "../core/logger.js";
import { formatForHumans } from "../core/phone.js";
import type { RegistrationStore } from "../core/registrations.js";
import { toXmppJobSchema } from "../queue/jobs.js";
import { bullPrefix, toXmppQueueName } from "../queue/names.js";
import { backoffStrategy } from "../queue/retry.js";
import { ContactBook } from "../store/contacts.js";
import type { ComponentTransport } from "./component-transport.js";
import { chatMessages, contactJid, messageError, receiptMessage } from "./stanzas.js";

export interface DeliveryWorkerOptions {
  readonly gatewayId: string;
  readonly transport: ComponentTransport;
  readonly adapter: NetworkAdapter;
  readonly registrations: RegistrationStore;
  /** A connection with maxRetriesPerRequest: null. */
  readonly workerRedis: Redis;
  readonly prefix: string;
  readonly logger: Logger;
  readonly onInbound?: (outcome: "delivered" | "unroutable") => void;
  /** BullMQ lock duration and stalled-job check interval (how soon a crashed process's delivery is retried). */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
}

export function startDeliveryWorker(o: DeliveryWorkerOptions): { stop(): Promise<void> } {
  const { transport } = o;
  const domain = transport.domain;
  const contacts = new ContactBook(o.workerRedis, o.prefix);
  const log = o.logger;

  const deliver = async (job: Job) => {
    const parsed = toXmppJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed job: ${parsed.error.message}`);
    const data = parsed.data;
    if (data.kind === "error") {
      const resource = data.contactResource === undefined ? "" : `/${data.contactResource}`;
      await transport.sendConfirmed(
        messageError({
          from: `${data.contactLocalpart}@${domain}${resource}`,
          to: data.to,
          id: data.stanzaId,
          condition: data.condition,
          text: data.text,
        }),
      );
      return;
    }
    if (data.kind === "receipt") {
      await transport.sendConfirmed(
        receiptMessage({
          from: contactJid(data.contactLocalpart, domain),
          to: data.to,
          id: job.id ?? `r-${data.stanzaId}`,
          receivedId: data.stanzaId,
        }),
      );
      log.debug({ jobId: job.id, stanzaId: data.stanzaId }, "receipt delivered to XMPP");
      return;
    }
    const owner = await o.registrations.byNumber(o.gatewayId, data.to);
    if (!owner) {
      o.onInbound?.("unroutable");
      // Kept in the failed set (never dropped) until an operator binds the number and retries it.
      throw new UnrecoverableError(`no user owns ${data.to} on gateway ${o.gatewayId}`);
    }
    const from = contactJid(o.adapter.formatAddress(data.from), domain);
    const firstFromContact = await contacts.firstTime(o.gatewayId, owner.jid, data.from);
    const stanzas = chatMessages({
      from,
      to: owner.jid,
      id: job.id ?? data.providerMessageId,
      body: data.body,
      mediaUrls: data.mediaUrls,
      ...(firstFromContact ? { nick: formatForHumans(data.from) } : {}),
    });
    // All in this turn: one barrier ping confirms them together.
    await Promise.all(stanzas.map((stanza) => transport.sendConfirmed(stanza)));
    o.onInbound?.("delivered");
    log.debug({ jobId: job.id, to: owner.jid }, "delivered to XMPP");
  };

  const worker = new Worker(toXmppQueueName(o.gatewayId), deliver, {
    connection: o.workerRedis,
    prefix: bullPrefix(o.prefix),
    concurrency: 20,
    autorun: false,
    ...(o.lockDurationMs === undefined ? {} : { lockDuration: o.lockDurationMs }),
    ...(o.stalledIntervalMs === undefined ? {} : { stalledInterval: o.stalledIntervalMs }),
    settings: { backoffStrategy: backoffStrategy({ baseMs: 200, maxMs: 5000 }) },
  });
  worker.on("error", (err) => log.error({ err: { message: err.message } }, "delivery worker error"));
  worker.on("paused", () => log.debug("delivery worker paused"));
  worker.on("resumed", () => log.debug("delivery worker resumed"));
  worker.on("failed", (job, err) => {
    if (err instanceof UnrecoverableError || err.name === "UnrecoverableError")
      log.warn({ jobId: job?.id, reason: err.message }, "delivery kept in the failed set");
    // A passing failure (no link, or a write the server never confirmed): tried again, same id.
    else log.info({ jobId: job?.id, reason: err.message }, "delivery not done; it will be tried again");
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
