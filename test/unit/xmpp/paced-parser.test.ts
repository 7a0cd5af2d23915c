import { component, type Element, xml } from "@xmpp/component";
import { describe, expect, it } from "vitest";
import { pacedParser, type StreamParser } from "../../../src/xmpp/paced-parser.js";

/** The parser class @xmpp/component really uses (ltx's SAX parser inside @xmpp/xml). */
const LibraryParser = component({
  service: "xmpp://127.0.0.1:1",
  domain: "sms.example.org",
  password: "x",
}).Parser;
const HEADER =
  "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' id='s1'>";

type Events = StreamParser & { on(event: "element", listener: (el: Element) => void): void };

describe("pacedParser", () => {
  it("parses a 250 KB stanza in slices, no turn blocked long, stanzas in order and intact", async () => {
    const backlog: boolean[] = [];
    const Paced = pacedParser(LibraryParser, (_p, waiting) => backlog.push(waiting));
    const parser = new Paced() as Events;
    const got: Element[] = [];
    parser.on("element", (el) => got.push(el));
    parser.write(HEADER);
    const body = "a long text & <more> ".repeat(12_000).padEnd(250_000, "é");
    const huge = xml("message", { to: "x@sms.example.org", id: "big" }, xml("body", {}, body)).toString();
    const small = xml("message", { to: "y@sms.example.org", id: "after" }, xml("body", {}, "hi")).toString();
    // As the socket delivers it: 64 KB reads, the small stanza in the same read as the tail.
    const stream = huge + small;
    let longest = 0;
    for (let i = 0; i < stream.length; i += 65_536) {
      const t0 = performance.now();
      parser.write(stream.slice(i, i + 65_536));
      longest = Math.max(longest, performance.now() - t0);
    }
    expect(got).toEqual([]); // the rest waits for later turns
    await new Promise<void>((resolve) => {
      const check = () => (got.length === 2 ? resolve() : setImmediate(check));
      check();
    });
    expect(got.map((el) => el.attrs.id)).toEqual(["big", "after"]);
    expect(got[0]?.getChildText("body")).toBe(body);
    expect(backlog).toEqual([true, false]);
    // Unpaced, one 64 KB read of this text took about 150 ms.
    expect(longest).toBeLessThan(30);
  });

  it("parses a 64 KB read of small stanzas at once, without pausing the socket", () => {
    const Paced = pacedParser(LibraryParser, () => {
      throw new Error("no backlog expected");
    });
    const parser = new Paced() as Events;
    const got: Element[] = [];
    parser.on("element", (el) => got.push(el));
    parser.write(HEADER);
    const one = (i: number) =>
      `<message id='m${i}' to='+15550000000@sms.example.org'><body>text ${i}</body></message>`;
    let read = "";
    for (let i = 0; read.length < 65_536; i++) read += one(i);
    parser.write(read);
    expect(got.length).toBeGreaterThan(700);
    expect(got[0]?.getChildText("body")).toBe("text 0");
  });

  it("parses small reads at once, as the library would", () => {
    const Paced = pacedParser(LibraryParser, () => {
      throw new Error("no backlog expected");
    });
    const parser = new Paced() as Events;
    const got: Element[] = [];
    parser.on("element", (el) => got.push(el));
    parser.write(HEADER);
    parser.write("<message id='1'><body>one</body></message><message id='2'><body>two</body></message>");
    expect(got.map((el) => el.getChildText("body"))).toEqual(["one", "two"]);
  });
});
