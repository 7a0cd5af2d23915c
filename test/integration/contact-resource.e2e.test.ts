/**
 * Chat messages from a full contact JID (issue #9, "Also"): Smack's recommended chat API
 * (chat2.ChatManager) takes incoming chat messages only from full JIDs, so texts, and their media
 * messages, come from `+15557654321@sms.localhost/sms`. On a real Prosody and a real ejabberd, a
 * real client, the Twilio stand-in: the user's conversation gets them from the full JID, offline
 * storage keeps and delivers them, and stanzas the user addresses to that full JID (messages, iq,
 * presence) work as to the bare one. Receipts come from the full JID too; errors echo the JID the
 * user wrote to.
 */
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboundJobId } from "../../src/core/pipeline/jobs.js";
import { bullPrefix, toXmppQueueName } from "../../src/queue/names.js";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { redisUrl } from "../harness/redis.js";
import {
  type RecordedRequest,
  signedTwilioPost,
  startTwilioStandIn,
  type TwilioStandIn,
  twilioSpecPath,
} from "../harness/twilio-standin.js";
import { waitFor } from "../harness/wait.js";
import { connectClient, type Element, randomId, type TestClient, xml } from "../harness/xmpp-client.js";
import { startXmppServer, XMPP_SERVER_KINDS, type XmppServer } from "../harness/xmpp-server.js";

const SECRET = "component-secret-resource-2b7e";
const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
const AUTH_TOKEN = "twilio-auth-token-resource-90d4";
const ALICE_NUMBER = "+15550001111";
const BOB_NUMBER = "+15550002222";
const COMPONENT = "sms.localhost";
const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

let counter = 0;
const newSid = () => `SM${randomBytes(16).toString("hex")}`;
const newContact = () => `+1555${String(7_000_000 + ((Date.now() + counter++ * 7919) % 2_999_999))}`;
const fullJid = (contact: string) => `${contact}@${COMPONENT}/sms`;
const sidOf = (r: RecordedRequest): string => {
  const sid = (JSON.parse(r.response.body) as { sid?: unknown }).sid;
  if (typeof sid !== "string") throw new Error(`no sid in ${r.response.body}`);
  return sid;
};

describe.skipIf(!twilioSpecPath())("chat messages from the contact's full JID", () => {
  describe.each(XMPP_SERVER_KINDS)("on %s", (kind) => {
    let server: XmppServer;
    let standIn: TwilioStandIn;
    let gw: TestGateway;
    let alice: TestClient;
    let redis: Redis;
    let queue: Queue;

    beforeAll(async () => {
      [server, standIn] = await Promise.all([
        startXmppServer(kind, { components: [{ domain: COMPONENT, secret: SECRET }] }),
        startTwilioStandIn(),
      ]);
      await server.registerMany([
        { user: "alice", password: "alice-pw" },
        { user: "bob", password: "bob-pw" },
      ]);
      gw = await startTestGateway({
        env: { SECRET, TWILIO_TOKEN: AUTH_TOKEN },
        config: {
          xmpp: { service: server.componentService },
          allowedDomains: ["localhost"],
          gateways: [
            {
              id: "sms",
              domain: COMPONENT,
              secret: "${SECRET}",
              adapter: "twilio",
              twilio: { accountSid: ACCOUNT_SID, authToken: "${TWILIO_TOKEN}", apiBaseUrl: standIn.baseUrl },
              users: [
                { jid: "alice@localhost", number: ALICE_NUMBER },
                { jid: "bob@localhost", number: BOB_NUMBER },
              ],
            },
          ],
        },
      });
      await gw.online();
      alice = await connectClient({ server, username: "alice", password: "alice-pw" });
      redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
      queue = new Queue(toXmppQueueName("sms"), { connection: redis, prefix: bullPrefix(gw.prefix) });
    }, 120_000);

    afterAll(async () => {
      await alice?.stop();
      await queue?.close();
      await redis?.quit();
      await gw?.stop();
      await Promise.all([server?.stop(), standIn?.stop()]);
      expect(standIn?.validationFailures() ?? []).toEqual([]);
    }, 60_000);

    const postInbound = (p: Record<string, string>) =>
      signedTwilioPost(
        `${gw.localUrl}/webhooks/sms/message`,
        { AccountSid: ACCOUNT_SID, To: ALICE_NUMBER, NumMedia: "0", ...p },
        AUTH_TOKEN,
      );
    const postStatus = (sid: string, status: string, errorCode?: string) =>
      signedTwilioPost(
        `${gw.localUrl}/webhooks/sms/status`,
        {
          AccountSid: ACCOUNT_SID,
          MessageSid: sid,
          MessageStatus: status,
          From: ALICE_NUMBER,
          ...(errorCode === undefined ? {} : { ErrorCode: errorCode }),
        },
        AUTH_TOKEN,
      );

    it("delivers a text and its media from the contact's full JID /sms", async () => {
      const contact = newContact();
      const sid = newSid();
      const url = "https://media.example.test/cat.jpg";
      const res = await postInbound({
        MessageSid: sid,
        From: contact,
        Body: "look",
        NumMedia: "1",
        MediaUrl0: url,
      });
      expect(res.status).toBe(200);
      const text = await alice.waitFor((el) => el.attrs.id === inboundJobId(sid), 15_000);
      const media = await alice.waitFor((el) => el.attrs.id === `${inboundJobId(sid)}-media1`, 15_000);
      expect(text.attrs.from).toBe(fullJid(contact));
      expect(text.attrs.type).toBe("chat");
      expect(text.getChildText("body")).toBe("look");
      expect(media.attrs.from).toBe(fullJid(contact));
      expect(media.getChild("x", "jabber:x:oob")?.getChildText("url")).toBe(url);
    });

    it("sends a reply written to the full JID, and its receipt comes from the full JID", async () => {
      const contact = newContact();
      const id = randomId("full");
      await alice.send(
        xml(
          "message",
          { type: "chat", to: fullJid(contact), id },
          xml("body", {}, "reply to the full JID"),
          xml("request", { xmlns: "urn:xmpp:receipts" }),
        ),
      );
      const req = await standIn.waitForRequest((r) => r.form.To === contact, 15_000);
      expect(req.form.Body).toBe("reply to the full JID");
      expect((await postStatus(sidOf(req), "delivered")).status).toBe(200);
      const receipt = await alice.waitFor(
        (el) => el.getChild("received", "urn:xmpp:receipts")?.attrs.id === id,
        15_000,
      );
      expect(receipt.attrs.from).toBe(fullJid(contact));
    });

    it.each([
      ["the full JID", true],
      ["the bare JID", false],
    ])("echoes %s the user wrote to in a later delivery error", async (_what, full) => {
      const contact = newContact();
      const to = full ? fullJid(contact) : `${contact}@${COMPONENT}`;
      const id = await alice.sendMessage(to, "to a phone that is off");
      const req = await standIn.waitForRequest((r) => r.form.To === contact, 15_000);
      expect((await postStatus(sidOf(req), "undelivered", "30003")).status).toBe(200);
      const err = await alice.waitFor((el) => el.attrs.type === "error" && el.attrs.id === id, 15_000);
      expect(err.attrs.from).toBe(to);
      expect(err.getChild("error")?.getChild("recipient-unavailable", NS_STANZAS)).toBeDefined();
    });

    it("answers an iq and a presence probe addressed to the contact's full JID", async () => {
      const contact = newContact();
      const info = await alice.iq(
        xml(
          "iq",
          { type: "get", to: fullJid(contact) },
          xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
        ),
      );
      expect(info.attrs.type).toBe("result");
      expect(info.attrs.from).toBe(fullJid(contact));
      await alice.send(xml("presence", { type: "probe", to: fullJid(contact) }));
      const presence = await alice.waitFor(
        (el: Element) => el.is("presence") && el.attrs.from?.startsWith(`${contact}@${COMPONENT}`) === true,
        10_000,
      );
      expect(presence.attrs.type).toBeUndefined();
    });

    it("keeps a text for a user who is offline and delivers it from the full JID when she logs in", async () => {
      const contact = newContact();
      const sid = newSid();
      const res = await signedTwilioPost(
        `${gw.localUrl}/webhooks/sms/message`,
        {
          AccountSid: ACCOUNT_SID,
          MessageSid: sid,
          From: contact,
          To: BOB_NUMBER,
          Body: "while you were out",
        },
        AUTH_TOKEN,
      );
      expect(res.status).toBe(200);
      await waitFor(async () => (await queue.getJobState(inboundJobId(sid))) === "completed", {
        timeoutMs: 15_000,
        description: "the delivery to the offline user to complete",
      });
      const bob = await connectClient({ server, username: "bob", password: "bob-pw" });
      try {
        const msg = await bob.waitFor((el) => el.attrs.id === inboundJobId(sid), 15_000);
        expect(msg.getChildText("body")).toBe("while you were out");
        expect(msg.attrs.from).toBe(fullJid(contact));
        expect(msg.getChild("delay", "urn:xmpp:delay")).toBeDefined();
      } finally {
        await bob.stop();
      }
    });
  });
});
