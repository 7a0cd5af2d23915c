/**
 * What the conformance checks share for one adapter: its rig (started in the suite's beforeAll)
 * and the moves every check makes with it, so checks can live in more than one file.
 */
import { expect } from "vitest";
import { waitFor } from "../harness/wait.js";
import { type Element, randomId, xml } from "../harness/xmpp-client.js";
import type { ConformanceAdapter, SentMessage } from "./descriptor.js";
import type { Rig } from "./rig.js";

export const WAIT = 15_000;

export const bareOf = (jid: string | undefined) => jid?.split("/")[0];

export interface Suite {
  readonly d: ConformanceAdapter;
  rig(): Rig;
  /** The owner writes `body` to `to` (a network address); resolves with the stanza id. */
  send(to: string, body: string, ...children: Element[]): Promise<string>;
  attemptsWith(body: string): SentMessage[];
  /** Waits for `count` sends of `body` at the stand-in. */
  sentWith(body: string, count?: number): Promise<SentMessage[]>;
  fromContact(contact: string, body: string): (el: Element) => boolean;
  /** An inbound text that arrives after everything posted before it has been handled. */
  marker(contact: string): Promise<void>;
}

export function suiteOf(d: ConformanceAdapter, rig: () => Rig): Suite {
  const attemptsWith = (body: string) =>
    rig()
      .standIn.attempts()
      .filter((a) => a.body === body);
  const fromContact = (contact: string, body: string) => (el: Element) =>
    el.is("message") && bareOf(el.attrs.from) === rig().jidOf(contact) && el.getChildText("body") === body;
  return {
    d,
    rig,
    send(to, body, ...children) {
      const id = randomId(d.name);
      return rig()
        .owner.send(
          xml("message", { type: "chat", to: rig().jidOf(to), id }, xml("body", {}, body), ...children),
        )
        .then(() => id);
    },
    attemptsWith,
    sentWith: (body, count = 1) =>
      waitFor(() => (attemptsWith(body).length >= count ? attemptsWith(body) : undefined), {
        timeoutMs: WAIT,
        description: `${count} send(s) of "${body}" at the ${d.name} stand-in`,
      }),
    fromContact,
    async marker(contact) {
      const r = rig();
      const body = randomId("marker");
      const p = { id: r.standIn.newId(), from: contact, to: r.standIn.owner.address, body };
      expect(await r.standIn.postInbound(r.target, p)).toBe(200);
      await r.owner.waitFor(fromContact(contact, body), WAIT);
    },
  };
}
