/**
 * To-xmpp jobs -> stanzas for users: an inbound text goes to the user who owns the number it was
 * sent to (from the contact, with a nickname the first time she hears from it), a receipt or an
 * error to the user whose message it is about. The XMPP side writes them (XmppOutlet) and
 * resolves once the server read them; a failure there fails the attempt, which is retried with
 * the same job id, hence the same stanza id.
 */
import type { NetworkAdapter } from "../adapter.js";
import type { Logger } from "../logger.js";
import { type Contacts, PermanentFailure, type XmppOutlet } from "../ports.js";
import type { RegistrationStore } from "../registrations.js";
import { toXmppJobSchema } from "./jobs.js";
import type { NetworkRules } from "./network-rules.js";

export interface DeliverOptions {
  readonly gatewayId: string;
  readonly adapter: Pick<NetworkAdapter, "formatAddress">;
  readonly network: Pick<NetworkRules, "displayName">;
  readonly registrations: Pick<RegistrationStore, "byAddress">;
  readonly contacts: Contacts;
  readonly outlet: XmppOutlet;
  readonly logger: Logger;
  readonly onInbound?: (outcome: "delivered" | "unroutable") => void;
}

/** Delivers one to-xmpp job; throws PermanentFailure for a job no retry can deliver. */
export function deliverer(o: DeliverOptions): (jobId: string, raw: unknown) => Promise<void> {
  const log = o.logger;
  return async (jobId, raw) => {
    const parsed = toXmppJobSchema.safeParse(raw);
    if (!parsed.success) throw new PermanentFailure(`malformed job: ${parsed.error.message}`);
    const data = parsed.data;
    if (data.kind === "error") {
      const { to, contactLocalpart, contactResource, stanzaId, condition, text } = data;
      await o.outlet.error({
        to,
        contactLocalpart,
        ...(contactResource === undefined ? {} : { contactResource }),
        ...(stanzaId === undefined ? {} : { id: stanzaId }),
        condition,
        text,
      });
      return;
    }
    if (data.kind === "receipt") {
      const { to, contactLocalpart, stanzaId } = data;
      await o.outlet.receipt({ to, contactLocalpart, id: jobId || `r-${stanzaId}`, receivedId: stanzaId });
      log.debug({ jobId, stanzaId }, "receipt delivered to XMPP");
      return;
    }
    const owner = await o.registrations.byAddress(o.gatewayId, data.to);
    if (!owner) {
      o.onInbound?.("unroutable");
      // Kept in the failed set (never dropped) until an operator binds the number and retries it.
      throw new PermanentFailure(`no user owns ${data.to} on gateway ${o.gatewayId}`);
    }
    const firstFromContact = await o.contacts.firstTime(o.gatewayId, owner.jid, data.from);
    await o.outlet.message({
      to: owner.jid,
      contactLocalpart: o.adapter.formatAddress(data.from),
      id: jobId || data.providerMessageId,
      body: data.body,
      mediaUrls: data.mediaUrls,
      ...(data.subject === undefined ? {} : { subject: data.subject }),
      // The name the network gave the sender (an email's display name), else the address as read.
      ...(firstFromContact ? { nick: data.senderName ?? o.network.displayName(data.from) } : {}),
    });
    o.onInbound?.("delivered");
    log.debug({ jobId, to: owner.jid }, "delivered to XMPP");
  };
}
