/** Predicates and readers for the stanzas a gateway sends users: errors, receipts, OOB media. */
import type { Element } from "./xmpp-client.js";

export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

/** A message error echoing the id of the user's message `id`. */
export const errorOf = (id: string) => (el: Element) =>
  el.is("message") && el.attrs.type === "error" && el.attrs.id === id;

/** The defined condition of an error stanza ("item-not-found", ...). */
export const conditionOf = (el: Element): string | undefined =>
  el
    .getChild("error")
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== "text")?.name;

/** The human-readable text of an error stanza ("" when it has none). */
export const errorText = (el: Element): string =>
  el.getChild("error")?.getChildText("text", NS_STANZAS) ?? "";

/** A XEP-0184 receipt for the message `id`. */
export const isReceipt = (id: string) => (el: Element) =>
  el.is("message") && el.getChild("received", "urn:xmpp:receipts")?.attrs.id === id;

/** The XEP-0066 OOB URL of a message, when it carries one. */
export const oobUrl = (el: Element): string | undefined =>
  el.getChild("x", "jabber:x:oob")?.getChildText("url") ?? undefined;
