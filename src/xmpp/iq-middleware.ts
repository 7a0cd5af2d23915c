/**
 * @xmpp/component routes every element the server sends through its middleware: a context per
 * stanza with its `from` and `to` parsed into JIDs (each localpart scanned ten times for XEP-0106
 * escapes) and a koa-compose chain built afresh. Only iq uses it here (iqCaller matches results
 * to requests, iqCallee answers queries), and the messages and presences that went through it
 * for nothing were 2.5% of the gateway's CPU profile outbound. This hands the middleware the iq
 * elements only; the "stanza" event, where the gateway's own handlers listen, still sees every
 * stanza. (The middleware's outgoing side is not called by this version's connection.)
 */
import type { Component, Element } from "@xmpp/component";

type ElementListener = (el: Element) => unknown;

/** Makes the middleware's listener on `entity` see iq elements only. Call before adding others. */
export function middlewareForIqOnly(entity: Pick<Component, "listeners" | "on" | "off">): void {
  const listeners: ElementListener[] = entity.listeners("element");
  // The library registers exactly one; anything else is a version this was not written for, and
  // it is left as it is (correct, only slower).
  if (listeners.length !== 1) return;
  const [all] = listeners as [ElementListener];
  entity.off("element", all);
  entity.on("element", (el) => (el.name === "iq" ? all(el) : undefined));
}
