/**
 * The slice of XmppTransport that the component's features depend on, so they can run against a
 * FakeTransport in stanza-level tests (test/harness/fake-transport.ts) as well as the real one.
 */
import type { Element } from "@xmpp/component";
import type { IqHandler } from "./iq.js";
import type { TransportEvents, XmppTransport } from "./transport.js";

type Listener<K extends keyof TransportEvents> = (...args: TransportEvents[K]) => void;

export interface ComponentTransport {
  readonly domain: string;
  readonly online: boolean;
  /**
   * Throws NotConnectedError while offline; adds `from` = the domain when missing. Resolves once
   * written to the socket: the server may still never see it (see sendConfirmed).
   */
  send(el: Element): Promise<void>;
  /**
   * Like send, and resolves only once the server proved it read past the stanza; rejects when the
   * stream dies first (write-barrier.ts). For deliveries that count as done when it resolves.
   */
  sendConfirmed(el: Element): Promise<void>;
  /**
   * Stops (true) or resumes (false) reading stanzas from the server, so TCP pushes back on it
   * while the gateway cannot keep up; the server keeps what it has not sent.
   */
  holdIncoming(hold: boolean): void;
  /** Answer iq queries <name xmlns=ns> (exactly one reply per iq; see iq.ts). */
  handleIq(type: "get" | "set", ns: string, name: string, handler: IqHandler): void;
  on<K extends keyof TransportEvents>(event: K, listener: Listener<K>): unknown;
  once<K extends keyof TransportEvents>(event: K, listener: Listener<K>): unknown;
  off<K extends keyof TransportEvents>(event: K, listener: Listener<K>): unknown;
}

// The real transport satisfies it (checked at compile time).
const _check = (t: XmppTransport): ComponentTransport => t;
void _check;
