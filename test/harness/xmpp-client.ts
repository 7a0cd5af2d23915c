/**
 * A real XMPP user for integration tests: @xmpp/client 0.14 (ESM) logged in over plain-text c2s.
 *
 * Facts behind the defaults:
 * - @xmpp/client only picks PLAIN on a secure connection; without TLS it picks SCRAM-SHA-1, whose
 *   PBKDF2 runs in JavaScript and costs ~1.6 s of CPU per login. The harness chooses the mechanism
 *   itself (default PLAIN, both servers allow it here), so a login takes a few milliseconds.
 * - Automatic reconnection is switched off: a test that restarts the server logs in again
 *   explicitly with connectClient().
 * - After login the client sends initial presence and waits for the server to echo it back, so
 *   the session is available (messages to the bare JID reach it) when connectClient() resolves.
 */
import { randomBytes } from "node:crypto";
import { type Client, client, type Element, xml } from "@xmpp/client";
import { withTimeout } from "./wait.js";
import type { XmppServer } from "./xmpp-server.js";

export { type Element, xml };

export type SaslMechanism = "PLAIN" | "SCRAM-SHA-1";

export interface ConnectClientOptions {
  server: Pick<XmppServer, "c2sPort" | "domain">;
  username: string;
  password: string;
  /** Default: a random "test-xxxxxxxx". */
  resource?: string;
  /** Default "PLAIN" (fast); "SCRAM-SHA-1" costs ~1.6 s per login. */
  mechanism?: SaslMechanism;
  /** Send initial presence and wait for its echo (default true). */
  presence?: boolean;
  /** Bound for connecting, authenticating and the presence echo (default 15 s). */
  timeoutMs?: number;
}

export type StanzaPredicate = (el: Element) => boolean;

export interface TestClient {
  /** Full JID, e.g. "alice@localhost/test-1a2b3c4d". */
  readonly jid: string;
  /** Bare JID, e.g. "alice@localhost". */
  readonly bareJid: string;
  /** Every stanza received since login, in order. */
  readonly received: Element[];
  /** Errors the connection emitted (stream errors, socket errors). */
  readonly errors: Error[];
  /** The underlying @xmpp/client entity, for anything the helpers do not cover. */
  readonly xmpp: Client;
  send(el: Element): Promise<void>;
  /** Sends `<message type="chat" to=... id=...><body>...</body></message>`; returns the id. */
  sendMessage(to: string, body: string, attrs?: Record<string, string>): Promise<string>;
  /** Sends an iq (an id is added if missing) and resolves with the `result` or `error` reply. */
  iq(el: Element, timeoutMs?: number): Promise<Element>;
  /** The first stanza matching `predicate`, already received or arriving within `timeoutMs` (default 10 s). */
  waitFor(predicate: StanzaPredicate, timeoutMs?: number): Promise<Element>;
  /** Waits until `count` stanzas match (counting those already received); resolves with the first `count`. */
  waitForCount(predicate: StanzaPredicate, count: number, timeoutMs?: number): Promise<Element[]>;
  /**
   * Resolves if no stanza matching `predicate` has arrived (or arrives within `forMs`); rejects
   * with the offending stanza otherwise. The one place a bounded wait for absence is fine.
   */
  expectNone(predicate: StanzaPredicate, forMs: number): Promise<void>;
  /** Resolves once the connection is gone (the server closed it or went away); rejects after `timeoutMs`. */
  waitForDisconnect(timeoutMs?: number): Promise<void>;
  /** Closes the stream (bounded); safe to call twice or after the server went away. */
  stop(): Promise<void>;
}

interface Waiter {
  predicate: StanzaPredicate;
  count: number;
  matches: Element[];
  resolve: (els: Element[]) => void;
}

export function randomId(prefix = "t"): string {
  return `${prefix}-${randomBytes(6).toString("hex")}`;
}

export function describeStanzas(els: readonly Element[], max = 20): string {
  const shown = els.slice(-max).map((e) => `  ${e.toString()}`);
  return shown.length === 0 ? "  (none)" : shown.join("\n");
}

/** Logs a user in and returns a TestClient. Rejects (and cleans up) if login fails. */
export async function connectClient(options: ConnectClientOptions): Promise<TestClient> {
  const { server, username, password } = options;
  const mechanism = options.mechanism ?? "PLAIN";
  const resource = options.resource ?? randomId("test");
  const timeoutMs = options.timeoutMs ?? 15_000;

  const xmpp = client({
    service: `xmpp://127.0.0.1:${server.c2sPort}`,
    domain: server.domain,
    username,
    resource,
    credentials: async (authenticate, mechanisms) => {
      if (!mechanisms.includes(mechanism)) {
        throw new Error(`server offers SASL ${mechanisms.join(", ")}, not ${mechanism}`);
      }
      await authenticate({ username, password }, mechanism);
    },
  });
  xmpp.reconnect.stop();

  const bare = `${username}@${server.domain}`;
  const received: Element[] = [];
  const errors: Error[] = [];
  let waiters: Waiter[] = [];
  let stopped = false;
  let markDisconnected: () => void = () => undefined;
  const disconnected = new Promise<void>((resolve) => {
    markDisconnected = resolve;
  });

  xmpp.on("error", (err) => {
    errors.push(err);
  });
  xmpp.on("disconnect", () => markDisconnected());
  xmpp.on("offline", () => markDisconnected());
  xmpp.on("stanza", (el) => {
    received.push(el);
    for (const w of waiters) {
      if (w.matches.length < w.count && w.predicate(el)) w.matches.push(el);
    }
    const done = waiters.filter((w) => w.matches.length >= w.count);
    if (done.length > 0) {
      waiters = waiters.filter((w) => w.matches.length < w.count);
      for (const w of done) w.resolve(w.matches);
    }
  });

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      await withTimeout(xmpp.stop(), 5000, "xmpp client to close");
    } catch {
      // the server may already be gone; the socket is closed either way
    }
  };

  function waitForCount(predicate: StanzaPredicate, count: number, waitMs = 10_000): Promise<Element[]> {
    const matches = received.filter(predicate).slice(0, count);
    if (matches.length >= count) return Promise.resolve(matches);
    return new Promise<Element[]>((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        count,
        matches,
        resolve: (els) => {
          clearTimeout(timer);
          resolve(els);
        },
      };
      const timer = setTimeout(() => {
        waiters = waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `${bare}: timed out after ${waitMs} ms waiting for ${count} matching stanza(s), got ${waiter.matches.length}; received:\n${describeStanzas(received)}`,
          ),
        );
      }, waitMs);
      waiters.push(waiter);
    });
  }

  let full: string;
  try {
    const jid = await withTimeout(xmpp.start(), timeoutMs, `${bare} to log in`);
    full = jid.toString();
    if (options.presence ?? true) {
      const echo = waitForCount(
        (el) => el.is("presence") && el.attrs.from === full && !el.attrs.type,
        1,
        timeoutMs,
      );
      await xmpp.send(xml("presence"));
      await echo;
    }
  } catch (err) {
    await stop();
    const why = errors.length > 0 ? ` (${errors.map((e) => e.message).join("; ")})` : "";
    throw new Error(`login of ${bare} on port ${server.c2sPort} failed: ${(err as Error).message}${why}`);
  }

  return {
    jid: full,
    bareJid: bare,
    received,
    errors,
    xmpp,
    send: (el) => xmpp.send(el),
    async sendMessage(to, body, attrs = {}) {
      const id = attrs.id ?? randomId("msg");
      await xmpp.send(xml("message", { type: "chat", ...attrs, to, id }, xml("body", {}, body)));
      return id;
    },
    async iq(el, waitMs = 10_000) {
      if (!el.attrs.id) el.attrs.id = randomId("iq");
      const id = el.attrs.id;
      const reply = waitForCount(
        (r) => r.is("iq") && r.attrs.id === id && (r.attrs.type === "result" || r.attrs.type === "error"),
        1,
        waitMs,
      );
      await xmpp.send(el);
      const [first] = await reply;
      if (!first) throw new Error("unreachable: iq reply missing");
      return first;
    },
    async waitFor(predicate, waitMs = 10_000) {
      const [first] = await waitForCount(predicate, 1, waitMs);
      if (!first) throw new Error("unreachable: waitFor resolved without a stanza");
      return first;
    },
    waitForCount,
    async expectNone(predicate, forMs) {
      const early = received.find(predicate);
      if (early) throw new Error(`${bare}: expected no such stanza, got ${early.toString()}`);
      let hit: Element | undefined;
      try {
        const [el] = await waitForCount(predicate, 1, forMs);
        hit = el;
      } catch {
        return; // nothing matched within forMs
      }
      throw new Error(`${bare}: expected no such stanza within ${forMs} ms, got ${hit?.toString()}`);
    },
    waitForDisconnect: (waitMs = 10_000) => withTimeout(disconnected, waitMs, `${bare} to be disconnected`),
    stop,
  };
}
