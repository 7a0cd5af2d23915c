import { describe, expect, it } from "vitest";
import { chatMessages, receiptMessage } from "../../src/xmpp/stanzas.js";

const base = { from: "+15557654321@sms.example.org", to: "alice@example.org", id: "m-1" };

describe("chatMessages", () => {
  it("is one chat message for a text", () => {
    const els = chatMessages({ ...base, body: "hi", mediaUrls: [] });
    expect(els.map((e) => e.toString())).toEqual([
      '<message type="chat" from="+15557654321@sms.example.org" to="alice@example.org" id="m-1"><body>hi</body></message>',
    ]);
  });

  it("sends the text, then one message per URL with the URL as body and an OOB element", () => {
    const urls = ["https://media.example/1.jpg", "https://media.example/2.png"];
    const els = chatMessages({ ...base, body: "look", mediaUrls: urls });
    expect(els).toHaveLength(3);
    expect(els[0]?.getChildText("body")).toBe("look");
    expect(els[0]?.getChild("x", "jabber:x:oob")).toBeUndefined();
    urls.forEach((url, i) => {
      const el = els[i + 1];
      expect(el?.getChildText("body")).toBe(url);
      expect(el?.getChild("x", "jabber:x:oob")?.getChildText("url")).toBe(url);
      expect(el?.attrs.id).toBe(`m-1-media${i + 1}`);
      expect(el?.attrs.from).toBe(base.from);
    });
  });

  it("sends media without text as media messages only", () => {
    const els = chatMessages({ ...base, body: "", mediaUrls: ["https://media.example/1.jpg"] });
    expect(els).toHaveLength(1);
    expect(els[0]?.getChildText("body")).toBe("https://media.example/1.jpg");
  });
});

describe("chatMessages with a nickname", () => {
  it("puts a XEP-0172 nick on the first stanza only", () => {
    const els = chatMessages({
      from: "+15557654321@sms.example.org",
      to: "alice@example.org",
      id: "m1",
      body: "",
      mediaUrls: ["https://a.example/1.jpg", "https://a.example/2.jpg"],
      nick: "+1 555 765 4321",
    });
    expect(els.map((el) => el.getChildText("nick", "http://jabber.org/protocol/nick"))).toEqual([
      "+1 555 765 4321",
      null,
    ]);
  });
});

describe("chatMessages with a subject", () => {
  it("puts the <subject/> on the first stanza only, before the body", () => {
    const els = chatMessages({
      ...base,
      body: "hi",
      mediaUrls: ["https://a.example/1.jpg"],
      subject: "Lunch",
    });
    expect(els[0]?.toString()).toBe(
      '<message type="chat" from="+15557654321@sms.example.org" to="alice@example.org" id="m-1"><subject>Lunch</subject><body>hi</body></message>',
    );
    expect(els[1]?.getChild("subject")).toBeUndefined();
    const mediaOnly = chatMessages({
      ...base,
      body: "",
      mediaUrls: ["https://a.example/1.jpg"],
      subject: "Pic",
    });
    expect(mediaOnly[0]?.getChildText("subject")).toBe("Pic");
  });
});

describe("receiptMessage", () => {
  it("is a XEP-0184 <received/> naming the user's stanza id", () => {
    const el = receiptMessage({ ...base, id: "r-1", receivedId: "user-msg-7" });
    expect(el.getChild("received", "urn:xmpp:receipts")?.attrs.id).toBe("user-msg-7");
    expect(el.attrs.from).toBe(base.from);
    expect(el.getChild("body")).toBeUndefined();
  });
});
