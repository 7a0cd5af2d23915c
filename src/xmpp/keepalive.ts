/**
 * XEP-0199 pings to the server every intervalMs catch half-open TCP connections: an unanswered
 * ping drops the connection (so the transport reconnects), except while incoming stanzas are held
 * (the answer cannot be read then, so it says nothing about the link).
 */
import type { Logger } from "../core/logger.js";

export interface KeepaliveOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Sends a ping; resolves on any answer, rejects with a TimeoutError after timeoutMs. */
  readonly request: (timeoutMs: number) => Promise<unknown>;
  readonly readingHeld: () => boolean;
  readonly drop: () => void;
  readonly log: Logger;
}

export class Keepalive {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: KeepaliveOptions) {}

  start(): void {
    this.stop();
    const { log, timeoutMs } = this.options;
    this.timer = setInterval(() => {
      this.ping().catch(() => {
        if (this.options.readingHeld()) {
          log.debug("ping unanswered while incoming stanzas are held; not judging the link");
          return;
        }
        log.warn({ timeoutMs }, "ping unanswered: dropping the connection");
        this.options.drop();
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Resolves on any answer (a stanza error still proves the link); rejects on a timeout. */
  private async ping(): Promise<void> {
    try {
      await this.options.request(this.options.timeoutMs);
    } catch (err) {
      if ((err as Error).name === "TimeoutError") throw err;
    }
  }
}
