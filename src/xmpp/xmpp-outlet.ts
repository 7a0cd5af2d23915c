/**
 * The pipeline's XmppOutlet on the component connection: stanzas built here, written with
 * transport.sendConfirmed (each resolves once the server answered a ping written after it on the
 * same stream, so a delivery counts only once the server read it).
 *
 * Texts, their media messages and receipts come from the contact's full JID (CONTACT_RESOURCE);
 * an error comes from the JID the user wrote to (RFC 6120 8.3.1), bare or full.
 */
import type { XmppOutlet } from "../core/ports.js";
import type { ComponentTransport } from "./component-transport.js";
import { chatMessages, contactJid, messageError, receiptMessage } from "./stanzas.js";

export function xmppOutlet(transport: Pick<ComponentTransport, "domain" | "sendConfirmed">): XmppOutlet {
  const domain = transport.domain;
  return {
    async error(d) {
      const resource = d.contactResource === undefined ? "" : `/${d.contactResource}`;
      await transport.sendConfirmed(
        messageError({
          from: `${d.contactLocalpart}@${domain}${resource}`,
          to: d.to,
          ...(d.id === undefined ? {} : { id: d.id }),
          condition: d.condition,
          text: d.text,
        }),
      );
    },
    async receipt(d) {
      await transport.sendConfirmed(
        receiptMessage({
          from: contactJid(d.contactLocalpart, domain),
          to: d.to,
          id: d.id,
          receivedId: d.receivedId,
        }),
      );
    },
    async message(d) {
      const stanzas = chatMessages({
        from: contactJid(d.contactLocalpart, domain),
        to: d.to,
        id: d.id,
        body: d.body,
        mediaUrls: d.mediaUrls,
        ...(d.subject === undefined ? {} : { subject: d.subject }),
        ...(d.nick === undefined ? {} : { nick: d.nick }),
      });
      // All in this turn: one barrier ping confirms them together.
      await Promise.all(stanzas.map((stanza) => transport.sendConfirmed(stanza)));
    },
  };
}
