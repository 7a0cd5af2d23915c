/**
 * FakeTransport: the ComponentTransport surface without a server, for stanza-level tests.
 * XML in (`receive`), XML out (`sent`). iq queries follow @xmpp/iq's callee rules, as the real
 * transport does: one reply per iq; a get/set without exactly one child is bad-request; an
 * unhandled query service-unavailable; a handler that throws something else than a Refusal
 * internal-server-error; error replies echo the query child. Other stanzas are emitted as `stanza`.
 */
import { EventEmitter } from "node:events";
import { type Element, xml } from "@xmpp/component";
import type { ComponentTransport } from "../../src/xmpp/component-transport.js";
import { type IqHandler, runIqHandler } from "../../src/xmpp/iq.js";
import { NotConnectedError, type TransportEvents } from "../../src/xmpp/transport.js";

const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

interface Route {
  readonly type: "get" | "set";
  readonly ns: string;
  readonly name: string;
  readonly handler: IqHandler;
}

export class FakeTransport extends EventEmitter<TransportEvents> implements ComponentTransport {
  /** Every stanza the component sent, in order. */
  readonly sent: Element[] = [];
  /** Errors handlers threw (the real transport emits them as `error`). */
  readonly handlerErrors: Error[] = [];
  private readonly routes: Route[] = [];
  private isOnline = false;
  private counter = 0;

  constructor(readonly domain: string) {
    super();
  }

  get online(): boolean {
    return this.isOnline;
  }

  goOnline(): void {
    if (this.isOnline) return;
    this.isOnline = true;
    this.emit("online");
  }

  goOffline(): void {
    if (!this.isOnline) return;
    this.isOnline = false;
    this.emit("offline");
  }

  /** Every holdIncoming call, in order (true: stop reading, false: read again). */
  readonly holds: boolean[] = [];

  holdIncoming(hold: boolean): void {
    this.holds.push(hold);
  }

  handleIq(type: "get" | "set", ns: string, name: string, handler: IqHandler): void {
    this.routes.push({ type, ns, name, handler });
  }

  async send(el: Element): Promise<void> {
    if (!this.isOnline) throw new NotConnectedError(`component ${this.domain} is not connected`);
    if (!el.attrs.from) el.attrs.from = this.domain;
    this.sent.push(el);
  }

  /** No server to confirm anything: a stanza sent is a stanza confirmed. */
  async sendConfirmed(el: Element): Promise<void> {
    await this.send(el);
  }

  /**
   * Delivers a stanza to the component as the server would. Resolves when an iq is answered, or
   * for other stanzas once the listeners' pending promise work has run (a macrotask turn: enough
   * for handlers whose awaits are in-memory, like the MemoryRegistrationStore's).
   */
  async receive(el: Element): Promise<void> {
    if (el.name !== "iq") {
      this.emit("stanza", el);
      await new Promise<void>((resolve) => setImmediate(resolve));
      return;
    }
    const { type } = el.attrs;
    if (type === "result" || type === "error") return;
    const children = el.getChildElements();
    const [child] = children;
    if ((type !== "get" && type !== "set") || children.length !== 1 || !child) {
      this.reply(el, "error", child, errorEl("modify", "bad-request"));
      return;
    }
    const route = this.routes.find((r) => r.type === type && child.is(r.name, r.ns));
    let answer: Element | true | undefined;
    if (route) {
      try {
        answer = await runIqHandler(route.handler, el);
      } catch (err) {
        this.handlerErrors.push(err as Error);
        answer = errorEl("cancel", "internal-server-error");
      }
    }
    if (answer === undefined) answer = errorEl("cancel", "service-unavailable");
    if (answer !== true && answer.is("error")) this.reply(el, "error", child, answer);
    else this.reply(el, "result", answer === true ? undefined : answer);
  }

  /** Sends an iq and returns every reply to it (there must be exactly one; see `iqReply`). */
  async iq(el: Element): Promise<Element[]> {
    if (!el.attrs.id) el.attrs.id = `fake-${++this.counter}`;
    await this.receive(el);
    return this.sent.filter((s) => s.name === "iq" && s.attrs.id === el.attrs.id);
  }

  /** Sends an iq and returns its one reply; throws when there is none or more than one. */
  async iqReply(el: Element): Promise<Element> {
    const replies = await this.iq(el);
    const [first] = replies;
    if (replies.length !== 1 || !first) {
      throw new Error(`expected exactly one reply to ${el.toString()}, got ${replies.length}`);
    }
    return first;
  }

  /** Stanzas sent since index `from`. */
  sentSince(from: number): Element[] {
    return this.sent.slice(from);
  }

  private reply(query: Element, type: "result" | "error", ...children: (Element | undefined)[]): void {
    // Replies go out like the library's: swapped addresses, same id, written to the socket.
    this.sent.push(
      xml("iq", { to: query.attrs.from, from: query.attrs.to, id: query.attrs.id, type }, ...children),
    );
  }
}

function errorEl(type: string, condition: string): Element {
  return xml("error", { type }, xml(condition, { xmlns: NS_STANZAS }));
}

/** The defined condition of an error reply (e.g. "service-unavailable"), or undefined. */
export function errorCondition(el: Element): string | undefined {
  return el
    .getChild("error")
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== "text")?.name;
}
