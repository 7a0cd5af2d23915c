/**
 * Delivery people can trust (issue #4), end to end on a real Prosody and Redis, a real XMPP client
 * and the Twilio stand-in (validating proxy of Twilio's OpenAPI): exactly-once in effect, delivery
 * receipts and errors from signed status callbacks, MMS both ways, long and emoji-rich texts,
 * opt-outs, corrections. Two gateways: "sms" (split long texts, send corrections) and "strict"
 * (refuse both).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import {
  formValues,
  type RecordedRequest,
  signedTwilioPost,
  startTwilioStandIn,
  type TwilioStandIn,
  twilioSpecPath,
} from "../harness/twilio-standin.js";
import { waitFor } from "../harness/wait.js";
import { connectClient, type Element, randomId, type TestClient, xml } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";

const SECRET = "component-secret-delivery-5d1e";
const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
const AUTH_TOKEN = "twilio-auth-token-delivery-77c3";
const ALICE_NUMBER = "+15550001111";
const ALICE_STRICT = "+15550002222";
const PUBLIC_URL = "https://gw.example.test";
const SMS = "sms.localhost";
const STRICT = "strict.localhost";
const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

let counter = 0;
const newSid = () => `SM${(Date.now().toString(16) + (counter++).toString(16)).padStart(32, "0")}`;
/** A fresh US number per test, so tests do not share opt-outs or conversations. */
const newContact = () => `+1555${String(7_000_000 + ((Date.now() + counter++ * 7919) % 2_999_999))}`;

const errorOf = (id: string) => (el: Element) =>
  el.is("message") && el.attrs.type === "error" && el.attrs.id === id;
const conditionOf = (el: Element) =>
  el
    .getChild("error")
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== "text")?.name;
const errorText = (el: Element) => el.getChild("error")?.getChildText("text", NS_STANZAS) ?? "";
const isReceipt = (id: string) => (el: Element) =>
  el.is("message") && el.getChild("received", "urn:xmpp:receipts")?.attrs.id === id;
const sidOf = (r: RecordedRequest): string => {
  const sid = (JSON.parse(r.response.body) as { sid?: unknown }).sid;
  if (typeof sid !== "string") throw new Error(`no sid in ${r.response.body}`);
  return sid;
};
const hasLoneSurrogate = (s: string) =>
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe.skipIf(!twilioSpecPath())("delivery end to end on Prosody (issue #4)", () => {
  let server: XmppServer;
  let standIn: TwilioStandIn;
  let gw: TestGateway;
  let alice: TestClient;

  beforeAll(async () => {
    [server, standIn] = await Promise.all([
      startXmppServer("prosody", {
        components: [
          { domain: SMS, secret: SECRET },
          { domain: STRICT, secret: SECRET },
        ],
      }),
      startTwilioStandIn(),
    ]);
    await server.register("alice@localhost", "alice-pw");
    const twilio = { accountSid: ACCOUNT_SID, authToken: "${TWILIO_TOKEN}", apiBaseUrl: standIn.baseUrl };
    gw = await startTestGateway({
      publicUrl: PUBLIC_URL,
      env: { SECRET, TWILIO_TOKEN: AUTH_TOKEN },
      config: {
        xmpp: { service: server.componentService },
        allowedDomains: ["localhost"],
        queue: { outboundAttempts: 2, outboundBackoffMs: 100 },
        gateways: [
          {
            id: "sms",
            domain: SMS,
            secret: "${SECRET}",
            adapter: "twilio",
            twilio,
            users: [{ jid: "alice@localhost", number: ALICE_NUMBER }],
          },
          {
            id: "strict",
            domain: STRICT,
            secret: "${SECRET}",
            adapter: "twilio",
            longMessages: "refuse",
            corrections: "refuse",
            twilio,
            users: [{ jid: "alice@localhost", number: ALICE_STRICT }],
          },
        ],
      },
    });
    await gw.online();
    alice = await connectClient({ server, username: "alice", password: "alice-pw" });
  }, 120_000);

  afterAll(async () => {
    await alice?.stop();
    await gw?.stop();
    await Promise.all([server?.stop(), standIn?.stop()]);
    const logs = gw?.logLines.join("") ?? "";
    expect(logs).not.toContain(AUTH_TOKEN);
  }, 60_000);

  const requestsTo = (to: string) => standIn.requests.filter((r) => r.form.To === to);

  /** A message that arrives after everything sent before it has been handled. */
  async function roundTrip(contact: string, domain = SMS): Promise<void> {
    const body = randomId("marker");
    await alice.sendMessage(`${contact}@${domain}`, body);
    await standIn.waitForRequest((r) => r.form.Body === body, 15_000);
  }

  function postInbound(p: Record<string, string>) {
    const params = {
      AccountSid: ACCOUNT_SID,
      To: ALICE_NUMBER,
      NumMedia: "0",
      NumSegments: "1",
      SmsStatus: "received",
      ApiVersion: "2010-04-01",
      ...p,
    };
    return signedTwilioPost(`${gw.localUrl}/webhooks/sms/message`, params, AUTH_TOKEN, {
      signUrl: `${PUBLIC_URL}/webhooks/sms/message`,
    });
  }

  function postStatus(sid: string, status: string, errorCode?: string) {
    const params: Record<string, string> = {
      AccountSid: ACCOUNT_SID,
      MessageSid: sid,
      SmsSid: sid,
      MessageStatus: status,
      SmsStatus: status,
      From: ALICE_NUMBER,
      ApiVersion: "2010-04-01",
      ...(errorCode === undefined ? {} : { ErrorCode: errorCode }),
    };
    return signedTwilioPost(`${gw.localUrl}/webhooks/sms/status`, params, AUTH_TOKEN, {
      signUrl: `${PUBLIC_URL}/webhooks/sms/status`,
    });
  }

  describe("exactly once in effect", () => {
    it("sends a stanza resent with the same id (a client after a reconnect) once", async () => {
      const contact = newContact();
      const id = randomId("resent");
      await alice.sendMessage(`${contact}@${SMS}`, "only once please", { id });
      await alice.sendMessage(`${contact}@${SMS}`, "only once please", { id });
      await standIn.waitForRequest((r) => r.form.To === contact, 15_000);
      // Resent again after it went out.
      await alice.sendMessage(`${contact}@${SMS}`, "only once please", { id });
      await roundTrip(contact);
      expect(requestsTo(contact).filter((r) => r.form.Body === "only once please")).toHaveLength(1);
    });

    it("delivers a webhook posted five times concurrently once", async () => {
      const sid = newSid();
      const contact = newContact();
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map(() => postInbound({ MessageSid: sid, From: contact, Body: `five ${sid}` })),
      );
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      await alice.waitFor((el) => el.getChildText("body") === `five ${sid}`);
      // A later message from the same sender arrives after it: a duplicate would have come before.
      await postInbound({ MessageSid: newSid(), From: contact, Body: `after ${sid}` });
      await alice.waitFor((el) => el.getChildText("body") === `after ${sid}`);
      expect(alice.received.filter((el) => el.getChildText("body") === `five ${sid}`)).toHaveLength(1);
    });
  });

  describe("delivery reports", () => {
    it("sends a XEP-0184 receipt after a signed 'delivered' callback, not before, and once", async () => {
      const contact = newContact();
      const id = randomId("rcpt");
      await alice.send(
        xml(
          "message",
          { type: "chat", to: `${contact}@${SMS}`, id },
          xml("body", {}, "tell me when it arrives"),
          xml("request", { xmlns: "urn:xmpp:receipts" }),
        ),
      );
      const req = await standIn.waitForRequest((r) => r.form.To === contact, 15_000);
      const sid = sidOf(req);
      for (const status of ["queued", "sent"]) expect((await postStatus(sid, status)).status).toBe(200);
      await alice.expectNone(isReceipt(id), 1000);
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => postStatus(sid, "delivered")));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      const receipt = await alice.waitFor(isReceipt(id), 15_000);
      expect(receipt.attrs.from).toBe(`${contact}@${SMS}/sms`);
      expect(receipt.attrs.type).not.toBe("error");
      // Anything delivered after it was enqueued after it: a second receipt would be here by now.
      const marker = newSid();
      await postInbound({ MessageSid: marker, From: contact, Body: `marker ${marker}` });
      await alice.waitFor((el) => el.getChildText("body") === `marker ${marker}`);
      expect(alice.received.filter(isReceipt(id))).toHaveLength(1);
    });

    it("sends no receipt to a user who did not ask for one", async () => {
      const contact = newContact();
      const id = await alice.sendMessage(`${contact}@${SMS}`, "no receipt wanted");
      const sid = sidOf(await standIn.waitForRequest((r) => r.form.To === contact, 15_000));
      expect((await postStatus(sid, "delivered")).status).toBe(200);
      const marker = newSid();
      await postInbound({ MessageSid: marker, From: contact, Body: `marker ${marker}` });
      await alice.waitFor((el) => el.getChildText("body") === `marker ${marker}`);
      expect(alice.received.filter(isReceipt(id))).toEqual([]);
    });

    it("turns 'undelivered' with 30003 into an error stanza with the original id and a readable reason", async () => {
      const contact = newContact();
      const id = await alice.sendMessage(`${contact}@${SMS}`, "to a phone that is off");
      const sid = sidOf(await standIn.waitForRequest((r) => r.form.To === contact, 15_000));
      expect((await postStatus(sid, "undelivered", "30003")).status).toBe(200);
      const err = await alice.waitFor(errorOf(id), 15_000);
      expect(err.attrs.from).toBe(`${contact}@${SMS}`);
      expect(conditionOf(err)).toBe("recipient-unavailable");
      expect(errorText(err)).toMatch(/30003/);
      expect(errorText(err)).toMatch(/unreachable destination handset/);
    });

    it("reports a failure whose callback arrived before Twilio's answer reached the worker", async () => {
      const contact = newContact();
      const sid = newSid();
      let release: () => void = () => undefined;
      const hold = new Promise<void>((resolve) => {
        release = resolve;
      });
      standIn.enqueueResponse({ status: 201, resource: { sid }, hold });
      const id = await alice.sendMessage(`${contact}@${SMS}`, "fails at once");
      await standIn.waitForRequest((r) => r.form.To === contact, 15_000);
      // Twilio has the message, the worker does not know its sid yet: the report comes first.
      expect((await postStatus(sid, "failed", "30007")).status).toBe(200);
      release();
      const err = await alice.waitFor(errorOf(id), 15_000);
      expect(conditionOf(err)).toBe("policy-violation");
      expect(errorText(err)).toMatch(/30007: message filtered/);
    });

    it("acknowledges and counts a callback for an unknown message id", async () => {
      const res = await postStatus(newSid(), "delivered");
      expect(res.status).toBe(200);
      const metrics = await (await fetch(`${gw.internalUrl}/metrics`)).text();
      expect(metrics).toMatch(/xgw_delivery_reports_total\{gateway="sms",outcome="unknown"\} [1-9]/);
    });
  });

  describe("MMS", () => {
    it("sends an OOB URL as MediaUrl with the body text", async () => {
      const contact = newContact();
      const url = `https://upload.example.net/${randomId("f")}/photo.jpg`;
      await alice.send(
        xml(
          "message",
          { type: "chat", to: `${contact}@${SMS}`, id: randomId("mms") },
          xml("body", {}, "look at this"),
          xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, url)),
        ),
      );
      const req = await standIn.waitForRequest((r) => r.form.To === contact, 15_000);
      expect(formValues(req.form, "MediaUrl")).toEqual([url]);
      expect(req.form.Body).toBe("look at this");
      expect(standIn.validationFailures()).toEqual([]);
    });

    it("sends an upload whose body only repeats the URL as media without a body", async () => {
      const contact = newContact();
      const url = `https://upload.example.net/${randomId("f")}/clip.mp4`;
      await alice.send(
        xml(
          "message",
          { type: "chat", to: `${contact}@${SMS}`, id: randomId("mms") },
          xml("body", {}, url),
          xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, url)),
        ),
      );
      const req = await standIn.waitForRequest((r) => r.form.To === contact, 15_000);
      expect(formValues(req.form, "MediaUrl")).toEqual([url]);
      expect(req.form.Body).toBeUndefined();
    });

    it("refuses a media URL the network cannot fetch, without a provider request", async () => {
      const contact = newContact();
      const id = randomId("mms");
      await alice.send(
        xml(
          "message",
          { type: "chat", to: `${contact}@${SMS}`, id },
          xml("body", {}, "secret file"),
          xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, "aesgcm://upload.localhost/a.jpg#00ff")),
        ),
      );
      const err = await alice.waitFor(errorOf(id));
      expect(conditionOf(err)).toBe("not-acceptable");
      expect(errorText(err)).toMatch(/only https, http/);
      await roundTrip(contact);
      expect(requestsTo(contact)).toHaveLength(1); // the round trip only
    });

    it("delivers inbound media as one OOB message per URL, with the URL as body, and the text", async () => {
      const sid = `MM${newSid().slice(2)}`;
      const contact = newContact();
      const urls = [
        `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}/Media/ME1`,
        `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}/Media/ME2`,
      ];
      const res = await postInbound({
        MessageSid: sid,
        From: contact,
        Body: "two pictures",
        NumMedia: "2",
        MediaUrl0: urls[0] ?? "",
        MediaContentType0: "image/jpeg",
        MediaUrl1: urls[1] ?? "",
        MediaContentType1: "image/png",
      });
      expect(res.status).toBe(200);
      const from = `${contact}@${SMS}/sms`;
      const text = await alice.waitFor(
        (el) => el.attrs.from === from && el.getChildText("body") === "two pictures",
      );
      expect(text.getChild("x", "jabber:x:oob")).toBeUndefined();
      for (const url of urls) {
        const el = await alice.waitFor((e) => e.attrs.from === from && e.getChildText("body") === url);
        expect(el.getChild("x", "jabber:x:oob")?.getChildText("url")).toBe(url);
        expect(el.attrs.type).toBe("chat");
      }
    });
  });

  describe("long and emoji-rich texts", () => {
    const sentence = "Grüße 😀 from the gateway, with flags 🇫🇷🇯🇵 and a family 👩‍👩‍👧‍👦 too! ";
    const longText = () => {
      let text = "";
      while (text.length < 2000) text += sentence;
      return text
        .slice(0, 2000)
        .trimEnd()
        .replace(/[\uD800-\uDBFF]$/, "");
    };

    it("sends a 2,000-character text as ordered parts with no broken characters", async () => {
      const contact = newContact();
      const text = longText();
      expect(text.length).toBeGreaterThan(1900);
      await alice.sendMessage(`${contact}@${SMS}`, text);
      const parts = await waitFor(() => (requestsTo(contact).length >= 2 ? requestsTo(contact) : undefined), {
        timeoutMs: 15_000,
        description: "two parts at the stand-in",
      });
      const bodies = parts.map((r) => String(r.form.Body));
      expect(bodies).toHaveLength(2);
      expect(parts[0]?.receivedAt ?? 0).toBeLessThanOrEqual(parts[1]?.receivedAt ?? 0);
      for (const b of bodies) {
        expect(b.length).toBeLessThanOrEqual(1600);
        expect(hasLoneSurrogate(b)).toBe(false);
        expect(b.startsWith("\u200D")).toBe(false);
      }
      expect(bodies.join(" ")).toBe(text);
      await roundTrip(contact);
      expect(requestsTo(contact)).toHaveLength(3);
      expect(standIn.validationFailures()).toEqual([]);
    });

    it("refuses it with not-acceptable when the gateway is configured to", async () => {
      const contact = newContact();
      const id = await alice.sendMessage(`${contact}@${STRICT}`, longText());
      const err = await alice.waitFor(errorOf(id), 15_000);
      expect(err.attrs.from).toBe(`${contact}@${STRICT}`);
      expect(conditionOf(err)).toBe("not-acceptable");
      expect(errorText(err)).toMatch(/at most 1600 characters/);
      await roundTrip(contact, STRICT);
      expect(requestsTo(contact)).toHaveLength(1); // the round trip only
    });
  });

  describe("opt-outs", () => {
    it("STOP makes a send fail fast without a provider request; START restores it", async () => {
      const contact = newContact();
      const stop = newSid();
      await postInbound({ MessageSid: stop, From: contact, Body: "STOP", OptOutType: "STOP" });
      await alice.waitFor(
        (el) => el.attrs.from === `${contact}@${SMS}/sms` && el.getChildText("body") === "STOP",
      );
      const id = await alice.sendMessage(`${contact}@${SMS}`, "are you there?");
      const err = await alice.waitFor(errorOf(id), 15_000);
      expect(conditionOf(err)).toBe("forbidden");
      expect(errorText(err)).toMatch(/opted out/);
      expect(errorText(err)).toMatch(/START/);
      expect(requestsTo(contact)).toEqual([]);

      await postInbound({ MessageSid: newSid(), From: contact, Body: "start" });
      await alice.waitFor(
        (el) => el.attrs.from === `${contact}@${SMS}/sms` && el.getChildText("body") === "start",
      );
      await alice.sendMessage(`${contact}@${SMS}`, "welcome back");
      const req = await standIn.waitForRequest((r) => r.form.To === contact, 15_000);
      expect(req.form.Body).toBe("welcome back");
    });

    it("records Twilio's 21610 as an opt-out: the next send makes no provider request", async () => {
      const contact = newContact();
      standIn.enqueueResponse({ status: 400, code: 21610 });
      const first = await alice.sendMessage(`${contact}@${SMS}`, "first try");
      const err1 = await alice.waitFor(errorOf(first), 15_000);
      expect(errorText(err1)).toMatch(/21610/);
      const second = await alice.sendMessage(`${contact}@${SMS}`, "second try");
      const err2 = await alice.waitFor(errorOf(second), 15_000);
      expect(conditionOf(err2)).toBe("forbidden");
      expect(errorText(err2)).toMatch(/opted out/);
      expect(requestsTo(contact)).toHaveLength(1);
    });
  });

  describe("corrections and other message types", () => {
    it("sends a XEP-0308 correction as a new message marked as a correction", async () => {
      const contact = newContact();
      const first = await alice.sendMessage(`${contact}@${SMS}`, "see you at 8");
      await standIn.waitForRequest((r) => r.form.To === contact, 15_000);
      await alice.send(
        xml(
          "message",
          { type: "chat", to: `${contact}@${SMS}`, id: randomId("fix") },
          xml("body", {}, "see you at 9"),
          xml("replace", { xmlns: "urn:xmpp:message-correct:0", id: first }),
        ),
      );
      await standIn.waitForRequest(
        (r) => r.form.To === contact && r.form.Body === "Correction: see you at 9",
        15_000,
      );
    });

    it("refuses a correction when configured to, without a provider request", async () => {
      const contact = newContact();
      const id = randomId("fix");
      await alice.send(
        xml(
          "message",
          { type: "chat", to: `${contact}@${STRICT}`, id },
          xml("body", {}, "fixed"),
          xml("replace", { xmlns: "urn:xmpp:message-correct:0", id: "earlier" }),
        ),
      );
      const err = await alice.waitFor(errorOf(id), 15_000);
      expect(conditionOf(err)).toBe("feature-not-implemented");
      expect(errorText(err)).toMatch(/Corrections/);
      await roundTrip(contact, STRICT);
      expect(requestsTo(contact)).toHaveLength(1);
    });

    it("answers groupchat and headline messages with feature-not-implemented", async () => {
      const contact = newContact();
      for (const type of ["groupchat", "headline"]) {
        const id = randomId(type);
        await alice.send(xml("message", { type, to: `${contact}@${SMS}`, id }, xml("body", {}, "hi all")));
        const err = await alice.waitFor(errorOf(id));
        expect(conditionOf(err)).toBe("feature-not-implemented");
      }
      await roundTrip(contact);
      expect(requestsTo(contact)).toHaveLength(1);
    });
  });
});
