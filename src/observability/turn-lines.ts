/**
 * The log lines of one turn of the event loop, written to the destination as one chunk in the
 * turn's check phase (setImmediate). The worker logs a line for every message it sends, and
 * the asynchronous stdout destination (sonic-boom) started a file-system write (a request to
 * libuv's thread pool and its completion) whenever none was in flight, often for a single line.
 * Now it gets one chunk per turn, however many lines the turn logged (in the bench's profile,
 * logging fell from 3.8% to 2.5% of the gateway's samples; what is left is mostly encoding the
 * bytes).
 *
 * Nothing waits longer than the rest of its turn, and nothing is lost on the way out: a line at
 * error level or above is written at once, with the lines of its turn before it (a fatal line
 * just before process.exit), and the lines still held when the process exits are written by an
 * `exit` listener that runs before pino's own flush of the destination (it is registered when
 * this module loads, before any destination exists). A SIGKILL loses the turn's lines, as it
 * loses what the asynchronous destination had not written yet.
 */

/** pino hands a stream that carries this symbol the level of each line (`lastLevel`) before it. */
const PINO_METADATA = Symbol.for("pino.metadata");
/** pino's level number of `error`. */
const ERROR_LEVEL = 50;

const live = new Set<WeakRef<TurnLines>>();
process.on("exit", () => {
  for (const ref of live) ref.deref()?.flush();
});

export class TurnLines {
  readonly [PINO_METADATA] = true;
  /** Set by pino before each write. */
  lastLevel = 0;
  private pending = "";
  private scheduled = false;

  /** `out` gets each turn's lines, concatenated, in the order they were logged. */
  constructor(private readonly out: (chunk: string) => void) {
    for (const ref of live) if (ref.deref() === undefined) live.delete(ref);
    live.add(new WeakRef(this));
  }

  write(line: string): void {
    this.pending += line;
    if (this.lastLevel >= ERROR_LEVEL) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushTurn);
    }
  }

  /** Writes what is held now. */
  flush(): void {
    if (this.pending === "") return;
    const chunk = this.pending;
    this.pending = "";
    this.out(chunk);
  }

  private readonly flushTurn = (): void => {
    this.scheduled = false;
    this.flush();
  };
}
