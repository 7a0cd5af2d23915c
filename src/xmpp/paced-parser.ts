/**
 * The component's stream parser, paced: a read ending in a long text run is parsed a slice per
 * turn of the event loop, so one huge stanza cannot stall every timer, HTTP request and socket
 * of the process.
 *
 * Why: @xmpp/xml parses with ltx's SAX parser, which, inside a run of text without "<", searches
 * the rest of the read for "<" once per character: a 64 KB read of one long body took 150 ms, a
 * 250 KB stanza 300 ms, each read one blocked turn (/healthz silent meanwhile). The cost grows
 * with the square of the text after the read's last "<" (before it, the search finds one), so that
 * tail is parsed in 1 KB slices of about a millisecond each. Reads of normal traffic (small
 * stanzas, a short tail) are parsed at once, as before.
 *
 * While slices wait, `onBacklog(parser, true)` asks for the socket to be paused (so a flood of
 * big stanzas waits in the kernel, not in memory), and `false` once this parser has caught up.
 */

/** The parser interface @xmpp/connection uses (`new this.Parser()`, then write per read). */
export interface StreamParser {
  write(data: string): void;
  end(data?: string): void;
}
export type StreamParserClass = new () => StreamParser;

export const PARSE_SLICE = 1024;
/** A read whose text after its last "<" is this short is parsed at once (a few ms at worst). */
const DIRECT_TAIL = 4096;

export function pacedParser(
  Base: StreamParserClass,
  onBacklog: (parser: StreamParser, waiting: boolean) => void,
  slice = PARSE_SLICE,
): StreamParserClass {
  return class PacedParser extends Base {
    private readonly waiting: string[] = [];
    private draining = false;

    override write(data: string): void {
      const text = typeof data === "string" ? data : String(data);
      if (this.draining) {
        this.queue(text);
        return;
      }
      // Only the text after the read's last "<" is rescanned: parse the rest at once.
      const tail = text.length - 1 - text.lastIndexOf("<");
      if (tail <= DIRECT_TAIL) {
        super.write(text);
        return;
      }
      const head = text.length - tail;
      if (head > 0) super.write(text.slice(0, head));
      this.queue(text.slice(head));
      this.draining = true;
      onBacklog(this, true);
      this.drain();
    }

    private queue(text: string): void {
      for (let i = 0; i < text.length; i += slice) this.waiting.push(text.slice(i, i + slice));
    }

    override end(data?: string): void {
      if (data) this.write(data);
      if (!this.draining) super.end();
      else this.waiting.push(""); // "" marks the end, after what is waiting
    }

    private readonly drain = (): void => {
      const next = this.waiting.shift();
      try {
        if (next === "") super.end();
        else if (next !== undefined) super.write(next);
      } finally {
        if (this.waiting.length > 0) setImmediate(this.drain);
        else {
          this.draining = false;
          onBacklog(this, false);
        }
      }
    };
  };
}
