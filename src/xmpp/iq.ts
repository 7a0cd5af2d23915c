/**
 * The iq contract for handlers (disco, register, gateway, commands, ...): a handler returns the
 * result payload (or `true` for an empty result) or throws a Refusal (condition + text) for an
 * error reply. The transport sends exactly one reply per iq; unhandled queries get
 * service-unavailable, anything else thrown becomes internal-server-error. Error replies echo the query element emptied.
 */
import type { Element } from "@xmpp/component";
import { Refusal } from "../core/errors.js";
import { errorElement } from "./stanzas.js";

export type IqHandler = (stanza: Element) => Element | true | Promise<Element | true>;

/**
 * Runs a handler and turns its outcome into what @xmpp's iq callee expects (payload or <error>).
 * An error reply carries the query element back (the callee appends it), but never what was in
 * it: a submitted form may hold a password or a provider token (text-private fields).
 */
export async function runIqHandler(handler: IqHandler, stanza: Element): Promise<Element | true> {
  try {
    return await handler(stanza);
  } catch (err) {
    for (const payload of stanza.getChildElements()) payload.children = [];
    if (err instanceof Refusal) return errorElement(err.condition, err.message);
    throw err;
  }
}
