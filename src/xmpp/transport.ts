/**
 * XmppTransport: one XEP-0114 component connection (@xmpp/component), kept alive.
 *
 * - The library's own reconnect (a fixed 1 s loop) is replaced by exponential backoff with jitter.
 * - A `not-authorized` stream error (wrong secret) stops reconnecting and is reported as fatal.
 * - XEP-0199 pings to the server catch half-open TCP connections.
 * - `online` may fire many times (after each reconnect): listeners must be idempotent.
 * - `send` throws NotConnectedError while offline; a resolved send means written to the socket,
 *   no more. `sendConfirmed` resolves only once the server answered a ping written after the
 *   stanza, and rejects if the stream dies first (write-barrier.ts): deliveries use it.
 * - Every string written to the stream goes through xmlSafe (xml-chars.ts) first: no character
 *   XML 1.0 forbids ever reaches the server, whoever built the stanza (our code or the library).
 */
import { EventEmitter } from "node:events";
import { type Component, component, type Element, xml } from "@xmpp/component";
import { jitteredBackoff } from "../core/backoff.js";
import type { Logger } from "../core/logger.js";
import { type IqHandler, runIqHandler } from "./iq.js";
import { middlewareForIqOnly } from "./iq-middleware.js";
import { Keepalive } from "./keepalive.js";
import { pacedParser, type StreamParser } from "./paced-parser.js";
import { addressedTo, logStreamError, parentDomain, warnForeignOnce, withTimeout } from "./transport-util.js";
import { WriteBarrier } from "./write-barrier.js";
import { xmlSafe } from "./xml-chars.js";

export class NotConnectedError extends Error {
  override readonly name = "NotConnectedError";
}

export interface TransportOptions {
  readonly service: string;
  readonly domain: string;
  readonly secret: string;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  readonly reconnectInitialDelayMs: number;
  readonly reconnectMaxDelayMs: number;
  /** Where pings go; by default the parent domain of the component (sms.example.org -> example.org). */
  readonly pingTarget?: string;
}

export interface TransportEvents {
  online: [];
  offline: [];
  stanza: [Element];
  fatal: [Error];
}

export class XmppTransport extends EventEmitter<TransportEvents> {
  private readonly xmpp: Component;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly foreignDomains = new Set<string>();
  private isOnline = false;
  private corked = false;
  private incomingHeld = false;
  /** Parsers with slices of a big read still to parse (the socket waits for them). */
  private readonly parsing = new Set<StreamParser>();
  private readonly log: Logger;
  private readonly barrier: WriteBarrier;
  private readonly keepalive: Keepalive;

  constructor(
    private readonly options: TransportOptions,
    logger: Logger,
  ) {
    super();
    this.log = logger.child({ component: options.domain });
    this.xmpp = component({ service: options.service, domain: options.domain, password: options.secret });
    this.xmpp.reconnect.stop();
    middlewareForIqOnly(this.xmpp);
    const write = this.xmpp.write.bind(this.xmpp);
    this.xmpp.write = (text: string) => write(xmlSafe(text));
    this.barrier = new WriteBarrier({
      writePing: (id) => this.xmpp.send(this.pingElement(id)),
      timeoutMs: options.pingTimeoutMs,
      readingHeld: () => this.incomingHeld,
      onTimeout: (ms) => {
        this.log.warn({ timeoutMs: ms }, "delivery barrier unanswered: dropping the connection");
        this.xmpp.socket?.destroy();
      },
    });
    this.keepalive = new Keepalive({
      intervalMs: options.pingIntervalMs,
      timeoutMs: options.pingTimeoutMs,
      request: (timeoutMs) => this.xmpp.iqCaller.request(this.pingElement(), timeoutMs),
      readingHeld: () => this.incomingHeld,
      drop: () => this.xmpp.socket?.destroy(),
      log: this.log,
    });
    // One huge stanza is parsed a slice per event-loop turn (see paced-parser.ts).
    this.xmpp.Parser = pacedParser(this.xmpp.Parser, (parser, waiting) => {
      if (waiting) this.parsing.add(parser);
      else this.parsing.delete(parser);
      this.applyHold();
    });
    this.xmpp.on("error", (err) => this.onError(err));
    // Errors thrown by iq handlers arrive here too (and the iq is answered internal-server-error).
    this.xmpp.on("online", () => this.onOnline());
    // @xmpp/connection decodes each socket read on its own (data.toString("utf8")), so a character
    // the network cut between two reads became two U+FFFD: the socket decodes the stream as one.
    this.xmpp.on("connect", () => this.xmpp.socket?.setEncoding("utf8"));
    this.xmpp.on("disconnect", () => this.onDisconnect());
    this.xmpp.on("stanza", (el) => {
      // iq results/errors and queries are routed by the library's middleware (iqCaller/iqCallee);
      // answers to barrier pings are ours (their ids are random, and they come from the target).
      if (el.name === "iq") {
        if ((el.attrs.type === "result" || el.attrs.type === "error") && el.attrs.from === this.pingTarget)
          this.barrier.answered(el.attrs.id);
        return;
      }
      if (!addressedTo(el.attrs.to, options.domain)) {
        warnForeignOnce(this.foreignDomains, this.log, el.attrs.to);
        return;
      }
      this.emit("stanza", el);
    });
  }

  get domain(): string {
    return this.options.domain;
  }

  get online(): boolean {
    return this.isOnline;
  }

  /** Starts connecting; resolves at once. Watch `online`/`fatal`. */
  start(): void {
    this.stopping = false;
    this.connect();
  }

  /**
   * Answer iq queries whose child is <name xmlns=ns> (any `to` on the domain, contacts included).
   * Exactly one reply per iq; everything unhandled gets service-unavailable (see iq.ts).
   */
  handleIq(type: "get" | "set", ns: string, name: string, handler: IqHandler): void {
    this.xmpp.iqCallee[type](ns, name, (ctx) => runIqHandler(handler, ctx.stanza));
  }

  /** Written to the socket (coalesced per turn); throws NotConnectedError while offline. */
  async send(el: Element): Promise<void> {
    if (!this.isOnline) throw new NotConnectedError(`component ${this.options.domain} is not connected`);
    if (!el.attrs.from) el.attrs.from = this.options.domain;
    this.coalesceWrites();
    try {
      await this.xmpp.send(el);
    } catch (err) {
      throw new NotConnectedError(`component ${this.options.domain}: ${(err as Error).message}`);
    }
  }

  /**
   * Like send, but settles only once the server proved it read past the stanza (any answer to the
   * ping written behind this turn's writes); rejects with UnconfirmedError or NotConnectedError if
   * the stream dies or stays silent first. Whoever resolves a job on it may retry on a rejection.
   */
  async sendConfirmed(el: Element): Promise<void> {
    const written = this.send(el);
    if (!this.isOnline) return written;
    const confirmed = this.barrier.track();
    await Promise.all([written, confirmed]);
  }

  holdIncoming(hold: boolean): void {
    if (this.incomingHeld === hold) return;
    this.incomingHeld = hold;
    this.applyHold();
  }

  /** The socket reads while nobody holds it: neither the intake nor the parser's backlog. */
  private applyHold(): void {
    if (this.incomingHeld || this.parsing.size > 0) this.xmpp.socket?.pause();
    else this.xmpp.socket?.resume();
  }

  /**
   * Stanzas sent in the same turn of the event loop leave in one socket write instead of one
   * write each: uncorked in the turn's check phase (setImmediate), so the deliveries of every
   * Redis answer and webhook read in one poll phase go together, with one barrier ping behind
   * them (at process.nextTick, each I/O callback's stanzas were a write and a ping of their own).
   */
  private coalesceWrites(): void {
    if (this.corked) return;
    const socket = this.xmpp.socket;
    this.corked = true;
    socket?.cork();
    setImmediate(() => {
      // The barrier ping (if any write of this turn wants one) leaves in the same write.
      this.barrier.flush();
      this.corked = false;
      socket?.uncork();
    });
  }

  /** Stops reconnecting, closes the stream (waiting up to timeoutMs), and drops the socket. */
  async stop(timeoutMs = 2000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    this.keepalive.stop();
    const wasOnline = this.isOnline;
    this.setOffline();
    this.barrier.fail(new NotConnectedError(`component ${this.options.domain} stopped`));
    if (this.xmpp.status === "offline") return;
    try {
      if (wasOnline) await withTimeout(this.xmpp.stop(), timeoutMs);
      else this.xmpp.socket?.destroy();
    } catch {
      this.xmpp.socket?.destroy();
    }
  }

  private connect(): void {
    if (this.stopping) return;
    this.log.debug({ service: this.options.service, attempt: this.attempt }, "connecting");
    const run = this.xmpp.status === "offline" ? this.xmpp.start() : this.xmpp.reconnect.reconnect();
    run.catch((err: Error) => {
      // Connection refused and the like: `disconnect` follows (or already came) and reschedules.
      this.log.debug({ err: { message: err.message } }, "connect attempt failed");
      if (this.xmpp.status === "offline" || this.xmpp.status === "disconnect") this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.reconnectTimer) return;
    const delay = jitteredBackoff(
      this.attempt++,
      this.options.reconnectInitialDelayMs,
      this.options.reconnectMaxDelayMs,
    );
    this.log.info({ delayMs: delay, attempt: this.attempt }, "reconnecting to the XMPP server");
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  private onOnline(): void {
    if (this.isOnline) return;
    this.isOnline = true;
    this.attempt = 0;
    this.log.info({ service: this.options.service }, "component online");
    // Our writes are already coalesced per tick (coalesceWrites); Nagle would hold the next one
    // until the server's delayed ACK (up to 40 ms), since the server rarely answers a message.
    this.xmpp.socket?.setNoDelay(true);
    if (this.incomingHeld || this.parsing.size > 0) this.xmpp.socket?.pause();
    this.keepalive.start();
    this.emit("online");
  }

  private get pingTarget(): string {
    return this.options.pingTarget ?? parentDomain(this.options.domain);
  }

  private pingElement(id?: string): Element {
    const attrs = { type: "get", to: this.pingTarget, from: this.options.domain, id };
    return xml("iq", attrs, xml("ping", { xmlns: "urn:xmpp:ping" }));
  }

  private onDisconnect(): void {
    this.keepalive.stop();
    const was = this.isOnline;
    this.setOffline();
    this.barrier.fail(
      new NotConnectedError(
        `component ${this.options.domain}: the stream closed before the server confirmed`,
      ),
    );
    if (was) this.log.warn("component connection lost");
    this.scheduleReconnect();
  }

  private setOffline(): void {
    if (!this.isOnline) return;
    this.isOnline = false;
    this.emit("offline");
  }

  private onError(err: Error & { condition?: string }): void {
    if (err.condition === "not-authorized") {
      this.stopping = true;
      clearTimeout(this.reconnectTimer);
      const fatal = new Error(
        `the XMPP server at ${this.options.service} refused the secret for component ${this.options.domain} ` +
          "(not-authorized): check the gateway's secret against the server's component configuration",
      );
      this.log.fatal(fatal.message);
      this.xmpp.socket?.destroy();
      this.emit("fatal", fatal);
      return;
    }
    logStreamError(this.log, this.options.domain, err);
  }
}
