import { xml } from "@xmpp/component";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { xmlSafe } from "../../src/xmpp/xml-chars.js";

/** XML 1.0 Char production, code point by code point. */
const isXmlChar = (cp: number) =>
  cp === 0x9 ||
  cp === 0xa ||
  cp === 0xd ||
  (cp >= 0x20 && cp <= 0xd7ff) ||
  (cp >= 0xe000 && cp <= 0xfffd) ||
  (cp >= 0x10000 && cp <= 0x10ffff);

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u));

const allXmlChars = (s: string) => [...s].every((c) => isXmlChar(c.codePointAt(0) ?? -1));

describe("xmlSafe", () => {
  it("replaces every character XML 1.0 forbids with U+FFFD, one for one", () => {
    const forbidden = [
      ...Array.from({ length: 9 }, (_, i) => i), // U+0000-U+0008
      0x0b,
      0x0c, // form feed, which GSM-7 has
      ...Array.from({ length: 0x20 - 0x0e }, (_, i) => 0x0e + i), // U+000E-U+001F
      0xfffe,
      0xffff,
    ];
    for (const cp of forbidden) {
      expect(xmlSafe(`a${String.fromCharCode(cp)}b`), `U+${cp.toString(16)}`).toBe("a\ufffdb");
    }
  });

  it("replaces lone surrogates (high or low, anywhere) but keeps real pairs", () => {
    expect(xmlSafe("\ud800")).toBe("\ufffd");
    expect(xmlSafe("x\udfff")).toBe("x\ufffd");
    expect(xmlSafe("\udc00\ud83d")).toBe("\ufffd\ufffd");
    expect(xmlSafe("emoji \ud83d\ude00 ok")).toBe("emoji \ud83d\ude00 ok");
    expect(xmlSafe("\ud83d\ud83d\ude00")).toBe("\ufffd\ud83d\ude00");
  });

  it("keeps tab, LF, CR, the rest of the BMP, U+FFFD itself and astral planes (U+1FFFE too) unchanged", () => {
    const fine = "tab\tLF\nCR\r é ß ☃ \u0085 \u007f \ue000 \ufffd \u{10ffff} \u{1fffe} +15551234567";
    expect(xmlSafe(fine)).toBe(fine);
  });

  it("returns the very same string when there is nothing to replace (no copy on the hot path)", () => {
    const s = `<message to="alice@example.org"><body>${"hello ".repeat(100)}</body></message>`;
    expect(xmlSafe(s)).toBe(s);
  });

  it("makes serialized stanzas well-formed: bodies, attributes (JIDs, ids), nicks, URLs, error texts", () => {
    const bad = "a\u000cb\u0001c\ufffed\ud800e";
    const stanza = xml(
      "message",
      { from: `${bad}@sms.example.org/sms`, to: "alice@example.org", id: bad },
      xml("body", {}, bad),
      xml("nick", { xmlns: "http://jabber.org/protocol/nick" }, bad),
      xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, `https://m.example/${bad}`)),
      xml("error", { type: "cancel" }, xml("text", {}, bad)),
    );
    const out = xmlSafe(stanza.toString());
    expect(allXmlChars(out)).toBe(true);
    expect(out).toContain("<body>a\ufffdb\ufffdc\ufffdd\ufffde</body>");
    expect(out).toContain('id="a\ufffdb\ufffdc\ufffdd\ufffde"');
  });

  it("for any string: the result holds only XML characters and has the same length in code units", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: codeUnit }), (a, b) => {
        const s = `${a}${String.fromCharCode(0xd800)}${b}`;
        const out = xmlSafe(s);
        expect(allXmlChars(out)).toBe(true);
        expect(out.length).toBe(s.length);
      }),
      { seed: 20_240_605, numRuns: 200 },
    );
  });
});
