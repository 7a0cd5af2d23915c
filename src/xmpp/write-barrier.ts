/**
 * Proof that the XMPP server read what the component wrote.
 *
 * XEP-0114 has no acknowledgements, and a component stream has no stream management (XEP-0198
 * is for client streams), so a resolved socket write only means the bytes left this process. If
 * the stream then dies (the server closes it with a stream error such as `not-well-formed`, or the
 * TCP connection drops), whatever was written since the server's last sign of life may be gone.
 * The only proof there is, is an answer to something written later on the same stream: Prosody
 * and ejabberd read a component stream in order and route each stanza before they parse the next
 * (a parse error ends the stream there, before any later iq is answered), so any answer (result
 * or error) to an iq written after a stanza proves that the server parsed and routed the stanza.
 *
 * So writes that want that proof are tracked per turn of the event loop. At the end of the turn
 * (where the transport uncorks its coalesced writes) one XEP-0199 ping goes out behind them, in
 * the same socket write, and any answer to it confirms every tracked write before it: one ping per
 * turn of writes, not per stanza. If the stream fails first, or no answer comes within the timeout
 * (not judged while the transport holds incoming stanzas, since no answer can be read then), the
 * writes are rejected with UnconfirmedError and the caller tries again: a delivery job is retried
 * with the same job and stanza id, so a stanza that did arrive after all arrives twice with one
 * id, never under two.
 */
import { randomBytes } from "node:crypto";

export class UnconfirmedError extends Error {
  override readonly name = "UnconfirmedError";
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

interface Barrier {
  readonly id: string;
  readonly waiters: Waiter[];
  timer?: NodeJS.Timeout;
}

export interface WriteBarrierOptions {
  /** Writes a ping iq with this id to the stream; rejects when it cannot be written. */
  readonly writePing: (id: string) => Promise<void>;
  readonly timeoutMs: number;
  /** True while incoming stanzas are held: an answer cannot be read, so a timeout is no verdict. */
  readonly readingHeld: () => boolean;
  /** No answer in time: the caller drops the connection (the writes are rejected already). */
  readonly onTimeout: (timeoutMs: number) => void;
}

export class WriteBarrier {
  /** Writes of this turn, waiting for the ping that flush() writes behind them. */
  private turn: Waiter[] = [];
  /** Pings written and not answered yet, oldest first. */
  private readonly open: Barrier[] = [];

  constructor(private readonly options: WriteBarrierOptions) {}

  /** Call right after a write that wants confirmation; settles once the server is known to have it. */
  track(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.turn.push({ resolve, reject });
    });
  }

  /** End of the turn: one ping behind the writes tracked since the last flush (if any). */
  flush(): void {
    if (this.turn.length === 0) return;
    const barrier: Barrier = { id: `barrier-${randomBytes(9).toString("base64url")}`, waiters: this.turn };
    this.turn = [];
    this.open.push(barrier);
    this.arm(barrier);
    this.options.writePing(barrier.id).catch((err: Error) => {
      this.fail(new UnconfirmedError(`the stream failed before the server confirmed: ${err.message}`));
    });
  }

  /**
   * An iq result or error with this id came from the ping target. Returns true when it answered
   * one of our pings: that one and every earlier one are confirmed.
   */
  answered(id: string | undefined): boolean {
    const i = this.open.findIndex((b) => b.id === id);
    if (i === -1) return false;
    for (const b of this.open.splice(0, i + 1)) {
      clearTimeout(b.timer);
      for (const w of b.waiters) w.resolve();
    }
    return true;
  }

  /** The stream is gone (closed, errored, stopped): every write not confirmed yet is rejected. */
  fail(err: Error): void {
    const waiters = [...this.open.flatMap((b) => b.waiters), ...this.turn];
    for (const b of this.open) clearTimeout(b.timer);
    this.open.length = 0;
    this.turn = [];
    for (const w of waiters) w.reject(err);
  }

  private arm(barrier: Barrier): void {
    const { timeoutMs } = this.options;
    barrier.timer = setTimeout(() => {
      if (!this.open.includes(barrier)) return;
      if (this.options.readingHeld()) {
        this.arm(barrier);
        return;
      }
      this.fail(new UnconfirmedError(`the XMPP server did not answer within ${timeoutMs} ms`));
      this.options.onTimeout(timeoutMs);
    }, timeoutMs);
    barrier.timer.unref();
  }
}
