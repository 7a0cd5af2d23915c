/**
 * Shared arbitraries and settings for the property tests: hostile strings (lone surrogates,
 * control characters, XML and JID specials, huge runs), odd JIDs and random XML trees.
 *
 * Every property runs with a fixed seed (XGW_PROPERTY_SEED overrides it), so a failure
 * reproduces; fast-check prints the seed and the shrunk counterexample when one fails.
 */
import { type Element, xml } from "@xmpp/component";
import fc from "fast-check";

export const SEED = Number(process.env.XGW_PROPERTY_SEED ?? 20_240_605);

/** Global settings for this worker: fixed seed, bounded runs, counterexample printed on failure. */
export function configureProperties(numRuns = 200): void {
  fc.configureGlobal({ seed: SEED, numRuns, verbose: 1, endOnFailure: true });
}

const SPECIALS = [
  "\u0000",
  "\u0001",
  "\u001f",
  "\u007f",
  "\u00a0",
  "\u200b",
  "\ufeff",
  "\ufffe",
  "\uffff",
  "\ud800", // lone high surrogate
  "\udfff", // lone low surrogate
  "\ud83d\ude00", // a real pair (emoji)
  "<",
  ">",
  "&",
  "'",
  '"',
  "@",
  "/",
  "\\",
  "\\40",
  "\\5c",
  "%",
  "%zz",
  "+",
  "=",
  "&amp;",
  "]]>",
  "${",
  "\n",
  "\r",
  "\t",
  " ",
];

/** One "character" of a hostile string: anything printable, a special, or a lone surrogate. */
export const wildUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.constantFrom(...SPECIALS) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.constantFrom(..."+0123456789 ()-.abcXYZ") },
);

export const wildString = (maxLength = 40): fc.Arbitrary<string> => fc.string({ unit: wildUnit, maxLength });

/** One code unit XML 1.0 forbids: C0 controls but tab/LF/CR (U+000C too), U+FFFE, U+FFFF, a surrogate. */
export const xmlForbiddenUnit: fc.Arbitrary<string> = fc.oneof(
  fc
    .integer({ min: 0, max: 0x1f })
    .filter((c) => c !== 0x9 && c !== 0xa && c !== 0xd)
    .map((c) => String.fromCharCode(c)),
  fc.constantFrom("\u000c", "\ufffe", "\uffff"),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
);

/** Random code points of every kind: forbidden in XML, astral, lone surrogates, specials, plain. */
export const hostileText = (maxLength = 40): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.oneof(
      { weight: 3, arbitrary: wildUnit },
      { weight: 2, arbitrary: xmlForbiddenUnit },
      {
        weight: 1,
        arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
      },
    ),
    maxLength,
  });

/** Sometimes a huge string (up to `max` characters), built cheaply from a repeated piece. */
export const hugeString = (max = 200_000): fc.Arbitrary<string> =>
  fc
    .tuple(wildString(8), fc.integer({ min: 1, max }))
    .map(([piece, n]) => (piece.length === 0 ? "x" : piece).repeat(Math.ceil(n / Math.max(piece.length, 1))));

export const maybeHuge: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: wildString() },
  { weight: 1, arbitrary: hugeString() },
);

/** Phone-like text: digits, plus, punctuation, sometimes too long, sometimes junk. */
export const phoneish: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."+0123456789 ()-./"), maxLength: 30 }),
  fc.integer({ min: 0, max: 999_999_999 }).map((n) => `+1555${String(n).padStart(7, "0").slice(0, 7)}`),
  wildString(20),
);

/** A localpart nobody would type: escapes, specials, surrogates, phone-ish text (no "/"). */
export const oddLocalpart: fc.Arbitrary<string> = fc
  .oneof(phoneish, wildString(30))
  .map((s) => s.replaceAll("/", ""));

/** JIDs on `domain` (the only ones the server routes to the component), odd ones included. */
export const jidOn = (domain: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constant(domain),
    oddLocalpart.map((l) => `${l}@${domain}`),
    fc.tuple(oddLocalpart, wildString(10)).map(([l, r]) => `${l}@${domain}/${r}`),
    fc.constant(`@${domain}`),
  );

/** Sender JIDs: allowed users, foreign domains, bare domains, garbage. */
export const senderJid = (users: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...users),
    fc.tuple(fc.constantFrom(...users), wildString(10)).map(([u, r]) => `${u.split("/")[0]}/${r}`),
    fc.constant("mallory@evil.example/x"),
    fc.constant("example.org"),
    wildString(30),
  );

const NAMESPACES = [
  "jabber:client",
  "jabber:x:oob",
  "urn:xmpp:receipts",
  "urn:xmpp:message-correct:0",
  "http://jabber.org/protocol/chatstates",
  "http://jabber.org/protocol/disco#info",
  "http://jabber.org/protocol/disco#items",
  "http://jabber.org/protocol/commands",
  "jabber:iq:register",
  "jabber:iq:gateway",
  "jabber:iq:version",
  "urn:xmpp:ping",
  "jabber:x:data",
  "urn:ietf:params:xml:ns:xmpp-stanzas",
];
const NAMES = [
  "body",
  "x",
  "url",
  "request",
  "replace",
  "query",
  "command",
  "ping",
  "prompt",
  "field",
  "value",
  "remove",
  "error",
  "item",
  "composing",
  "subject",
];

const attrs: fc.Arbitrary<Record<string, string>> = fc
  .dictionary(
    fc.constantFrom("xmlns", "id", "var", "node", "action", "type", "sessionid", "to", "from"),
    fc.oneof(fc.constantFrom(...NAMESPACES), wildString(20)),
    { maxKeys: 3 },
  )
  .map((d) => ({ ...d }));

/** A random element tree: known names and namespaces, hostile text, bounded depth and width. */
export const element: fc.Arbitrary<Element> = fc.letrec<{ el: Element }>((tie) => ({
  el: fc
    .tuple(
      fc.oneof(fc.constantFrom(...NAMES), fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/)),
      attrs,
      fc.array(fc.oneof({ weight: 2, arbitrary: maybeHuge }, { weight: 3, arbitrary: tie("el") }), {
        maxLength: 3,
        depthIdentifier: "xml",
      }),
    )
    .map(([name, a, children]) => xml(name, a, ...children)),
})).el;

/** A deep chain of nested elements (up to `max` levels), the innermost holding a body. */
export const deepElement = (max = 2_000): fc.Arbitrary<Element> =>
  fc.integer({ min: 50, max }).map((depth) => {
    let el: Element = xml("body", {}, "deep");
    for (let i = 0; i < depth; i++) el = xml(i % 2 === 0 ? "x" : "query", {}, el);
    return el;
  });

/** A stanza (message, iq or presence) addressed to `domain`, with random attributes and children. */
export const stanzaTo = (domain: string, users: readonly string[]): fc.Arbitrary<Element> =>
  fc
    .record(
      {
        name: fc.constantFrom("message", "message", "iq", "iq", "presence"),
        type: fc.oneof(
          fc.constantFrom(
            "chat",
            "normal",
            "groupchat",
            "headline",
            "error",
            "get",
            "set",
            "result",
            "subscribe",
            "subscribed",
            "unsubscribe",
            "probe",
            "unavailable",
          ),
          wildString(8),
        ),
        from: senderJid(users),
        to: jidOn(domain),
        id: fc.oneof(wildString(20), fc.string({ minLength: 257, maxLength: 400 })),
        children: fc.array(
          fc.oneof(
            { weight: 6, arbitrary: element },
            { weight: 3, arbitrary: maybeHuge.map((t) => xml("body", {}, t)) },
            { weight: 1, arbitrary: deepElement() },
          ),
          { maxLength: 3 },
        ),
      },
      // The server always stamps `to` on what it routes to the component; anything else may be missing.
      { requiredKeys: ["name", "to", "children"] },
    )
    .map(({ name, children, ...a }) => {
      const defined: Record<string, string> = {};
      for (const [k, v] of Object.entries(a)) if (typeof v === "string") defined[k] = v;
      return compact(xml(name, defined, ...children));
    });

/** Counterexamples print as clipped XML, not megabytes of it. */
export function compact(el: Element): Element {
  if (Object.hasOwn(el, fc.toStringMethod)) return el;
  Object.defineProperty(el, fc.toStringMethod, {
    value: () => {
      const s = el.toString();
      return s.length > 600 ? `${s.slice(0, 600)}... (${s.length} chars)` : s;
    },
  });
  return el;
}
