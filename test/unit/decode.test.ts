import { xml } from "@xmpp/component";
import { describe, expect, it } from "vitest";
import { decodeMessage } from "../../src/xmpp/decode.js";

const msg = (attrs: Record<string, string>, ...children: ReturnType<typeof xml>[]) =>
  xml(
    "message",
    { from: "alice@example.org/phone", to: "+15551234567@sms.example.org", ...attrs },
    ...children,
  );

describe("decodeMessage", () => {
  it("turns a chat message with a body into a send request", () => {
    const d = decodeMessage(msg({ type: "chat", id: "m1" }, xml("body", {}, "hello")));
    expect(d).toEqual({
      kind: "send",
      request: {
        stanzaId: "m1",
        senderJid: "alice@example.org/phone",
        contactLocalpart: "+15551234567",
        body: "hello",
        mediaUrls: [],
      },
    });
  });

  it("reads the <subject/> and the sender's XEP-0172 nick, network-neutrally", () => {
    const d = decodeMessage(
      msg(
        { type: "chat", id: "m2" },
        xml("subject", {}, "  Lunch  "),
        xml("body", {}, "tomorrow?"),
        xml("nick", { xmlns: "http://jabber.org/protocol/nick" }, "Alice A"),
      ),
    );
    expect(d).toMatchObject({
      kind: "send",
      request: { subject: "Lunch", senderName: "Alice A", body: "tomorrow?" },
    });
    const plain = decodeMessage(msg({ type: "chat" }, xml("subject", {}, " "), xml("body", {}, "x")));
    expect(plain.kind === "send" && "subject" in plain.request).toBe(false);
  });

  it("refuses a subject longer than a job carries, and cuts an overlong nick", () => {
    const long = decodeMessage(
      msg({ type: "chat" }, xml("subject", {}, "s".repeat(999)), xml("body", {}, "x")),
    );
    expect(long).toMatchObject({ kind: "refuse", condition: "bad-request" });
    const nick = xml("nick", { xmlns: "http://jabber.org/protocol/nick" }, "n".repeat(500));
    const cut = decodeMessage(msg({ type: "chat" }, xml("body", {}, "x"), nick));
    expect(cut.kind === "send" ? cut.request.senderName?.length : 0).toBe(200);
  });

  it.each([
    [
      "chat state",
      msg({ type: "chat" }, xml("composing", { xmlns: "http://jabber.org/protocol/chatstates" })),
    ],
    ["receipt", msg({}, xml("received", { xmlns: "urn:xmpp:receipts", id: "x" }))],
    ["marker", msg({}, xml("displayed", { xmlns: "urn:xmpp:chat-markers:0", id: "x" }))],
    ["empty body", msg({ type: "chat" }, xml("body", {}, "   "))],
    ["error", msg({ type: "error" }, xml("body", {}, "x"))],
  ])("ignores a %s", (_name, el) => {
    expect(decodeMessage(el).kind).toBe("ignore");
  });

  it("refuses groupchat and headline messages", () => {
    for (const type of ["groupchat", "headline"]) {
      const d = decodeMessage(msg({ type }, xml("body", {}, "x")));
      expect(d).toMatchObject({ kind: "refuse", condition: "feature-not-implemented" });
    }
  });

  it("takes OOB URLs as media and drops a body that only repeats the URL", () => {
    const url = "https://upload.example.org/a.jpg";
    const d = decodeMessage(
      msg({}, xml("body", {}, url), xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, url))),
    );
    expect(d).toMatchObject({ kind: "send", request: { body: "", mediaUrls: [url] } });
  });

  it("keeps a XEP-0184 receipt request and a XEP-0308 correction", () => {
    const d = decodeMessage(
      msg(
        { type: "chat", id: "m2" },
        xml("body", {}, "fixed"),
        xml("request", { xmlns: "urn:xmpp:receipts" }),
        xml("replace", { xmlns: "urn:xmpp:message-correct:0", id: "m1" }),
      ),
    );
    expect(d).toMatchObject({ kind: "send", request: { stanzaId: "m2", receipt: true, replaces: "m1" } });
  });

  it("has no receipt or correction fields on a plain message", () => {
    const d = decodeMessage(msg({ type: "chat", id: "m3" }, xml("body", {}, "plain")));
    expect(d.kind === "send" && "receipt" in d.request).toBe(false);
    expect(d.kind === "send" && "replaces" in d.request).toBe(false);
  });
});
