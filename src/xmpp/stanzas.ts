/** Building the stanzas the gateway sends. */
import { type Element, xml } from "@xmpp/component";
import { CONDITION_TYPES, type RefusalCondition } from "../core/errors.js";
import { NS } from "./namespaces.js";

/**
 * The resource of every contact's full JID: texts, media messages and receipts come from
 * `+15551234567@sms.example.org/sms`. Smack's chat API (chat2.ChatManager) takes incoming chat
 * messages only from full JIDs, and a contact that speaks from one resource is what every client
 * expects. Stanzas users send to a contact's bare JID or to any resource of it are handled alike.
 */
export const CONTACT_RESOURCE = "sms";

/** The full JID a contact speaks from. */
export function contactJid(localpart: string, domain: string): string {
  return `${localpart}@${domain}/${CONTACT_RESOURCE}`;
}

export function errorElement(condition: RefusalCondition, text: string): Element {
  return xml(
    "error",
    { type: CONDITION_TYPES[condition] },
    xml(condition, { xmlns: NS.stanzas }),
    xml("text", { xmlns: NS.stanzas, "xml:lang": "en" }, text),
  );
}

/** `<message type="error">` echoing the original id, from the contact the user wrote to. */
export function messageError(p: {
  from: string;
  to: string;
  id?: string;
  condition: RefusalCondition;
  text: string;
}): Element {
  return xml(
    "message",
    { type: "error", from: p.from, to: p.to, id: p.id },
    errorElement(p.condition, p.text),
  );
}

/**
 * An inbound message as stanzas: the text (when there is any), then one message per media URL
 * with the URL as body and a jabber:x:oob element, so clients show the media inline (Conversations,
 * Dino, Gajim need body == OOB URL) and clients without OOB still show a link.
 */
export function chatMessages(p: {
  from: string;
  to: string;
  id: string;
  body: string;
  mediaUrls: readonly string[];
  /** The message's <subject/> (networks with subjects), on its first stanza. */
  subject?: string;
  /** XEP-0172 nickname, sent with the first message from a contact so clients can name it. */
  nick?: string;
}): Element[] {
  const out: Element[] = [];
  const nick = p.nick === undefined ? undefined : xml("nick", { xmlns: NS.nick }, p.nick);
  const subject = p.subject === undefined ? undefined : xml("subject", {}, p.subject);
  if (p.body.length > 0 || p.mediaUrls.length === 0) {
    out.push(
      xml(
        "message",
        { type: "chat", from: p.from, to: p.to, id: p.id },
        subject,
        xml("body", {}, p.body),
        nick,
      ),
    );
  }
  p.mediaUrls.forEach((url, i) => {
    out.push(
      xml(
        "message",
        { type: "chat", from: p.from, to: p.to, id: `${p.id}-media${i + 1}` },
        xml("body", {}, url),
        xml("x", { xmlns: NS.oob }, xml("url", {}, url)),
        out.length === 0 && i === 0 ? nick : undefined,
        out.length === 0 && i === 0 ? subject : undefined,
      ),
    );
  });
  return out;
}

/** A XEP-0184 delivery receipt for the user's message `receivedId`, from the contact. */
export function receiptMessage(p: { from: string; to: string; id: string; receivedId: string }): Element {
  return xml(
    "message",
    { from: p.from, to: p.to, id: p.id },
    xml("received", { xmlns: NS.receipts, id: p.receivedId }),
  );
}
