/**
 * Hostile text (issue #9, item 1) on a real Prosody and Redis, the gateway in-process, signed
 * Twilio webhooks: characters XML 1.0 forbids (U+000C form feed, which GSM-7 has, U+0001, U+FFFE)
 * in an inbound Body, From or MediaUrl are delivered replaced, and the component is never
 * disconnected for them (Prosody answers a raw one with `not-well-formed` and drops the stream).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboundJobId } from "../../src/core/pipeline/jobs.js";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { signedTwilioPost } from "../harness/twilio-standin.js";
import { connectClient, describeStanzas, type Element, type TestClient } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";

const SECRET = "component-secret-hostile-81c2";
const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
const AUTH_TOKEN = "twilio-auth-token-hostile-4a0d";
const ALICE_NUMBER = "+15550001111";
const CONTACT = "+15557654321";
const COMPONENT = "sms.localhost";
/** What nodeprep-safe localparts hold instead of a character no JID can carry. */
const Q = "?";
const FFFD = "\ufffd";

const newSid = () => `SM${randomBytes(16).toString("hex")}`;
const bareOf = (jid: string | undefined) => (jid ?? "").split("/")[0];
const chatWithId = (id: string) => (el: Element) =>
  el.is("message") && el.attrs.type !== "error" && el.attrs.id === id;

describe("hostile characters in inbound texts (Prosody)", () => {
  let server: XmppServer;
  let gw: TestGateway;
  let alice: TestClient;
  let offlineEvents = 0;

  beforeAll(async () => {
    server = await startXmppServer("prosody", { components: [{ domain: COMPONENT, secret: SECRET }] });
    await server.register("alice", "alice-pw");
    gw = await startTestGateway({
      env: { SECRET, TWILIO_TOKEN: AUTH_TOKEN },
      config: {
        xmpp: { service: server.componentService, reconnectInitialDelayMs: 100, reconnectMaxDelayMs: 500 },
        allowedDomains: ["localhost"],
        gateways: [
          {
            id: "sms",
            domain: COMPONENT,
            secret: "${SECRET}",
            adapter: "twilio",
            twilio: {
              accountSid: ACCOUNT_SID,
              authToken: "${TWILIO_TOKEN}",
              apiBaseUrl: "http://127.0.0.1:9",
            },
            users: [{ jid: "alice@localhost", number: ALICE_NUMBER }],
          },
        ],
      },
    });
    await gw.online();
    gw.gateway.transports.get("sms")?.on("offline", () => offlineEvents++);
    alice = await connectClient({ server, username: "alice", password: "alice-pw" });
  }, 120_000);

  afterAll(async () => {
    await alice?.stop();
    await gw?.stop();
    await server?.stop();
  }, 60_000);

  const post = (p: Record<string, string>) =>
    signedTwilioPost(
      `${gw.localUrl}/webhooks/sms/message`,
      { AccountSid: ACCOUNT_SID, From: CONTACT, To: ALICE_NUMBER, NumMedia: "0", ...p },
      AUTH_TOKEN,
    );

  it("delivers a Body holding U+000C, U+0001 and U+FFFE with each replaced by U+FFFD", async () => {
    const sid = newSid();
    expect((await post({ MessageSid: sid, Body: "form\u000cfeed, one\u0001, nonchar\ufffe." })).status).toBe(
      200,
    );
    const msg = await alice.waitFor(chatWithId(inboundJobId(sid)), 15_000);
    expect(msg.getChildText("body")).toBe(`form${FFFD}feed, one${FFFD}, nonchar${FFFD}.`);
    expect(bareOf(msg.attrs.from)).toBe(`${CONTACT}@${COMPONENT}`);
    expect(offlineEvents).toBe(0);
  });

  it("delivers from an alphanumeric sender holding them, as a valid JID with each replaced", async () => {
    const sid = newSid();
    const res = await post({ MessageSid: sid, From: "AC\u000cME\u0001CO\ufffe", Body: "from a sender id" });
    expect(res.status).toBe(200);
    const msg = await alice.waitFor(chatWithId(inboundJobId(sid)), 15_000);
    expect(msg.getChildText("body")).toBe("from a sender id");
    // The server prepares the JID (nodeprep case-folds), so it arrives in lowercase.
    expect(bareOf(msg.attrs.from)).toBe(`ac${Q}me${Q}co${Q}@${COMPONENT}`);
    // The XEP-0172 nick names the sender as text: U+FFFD there.
    expect(msg.getChildText("nick", "http://jabber.org/protocol/nick")).toBe(`AC${FFFD}ME${FFFD}CO${FFFD}`);
    expect(offlineEvents).toBe(0);
  });

  it("delivers a MediaUrl holding them, percent-encoded as the URL standard writes them", async () => {
    const sid = newSid();
    const res = await post({
      MessageSid: sid,
      Body: "",
      NumMedia: "1",
      MediaUrl0: "https://media.example.test/a\u000cb\u0001c\ufffe.jpg",
    });
    expect(res.status).toBe(200);
    const msg = await alice.waitFor(chatWithId(`${inboundJobId(sid)}-media1`), 15_000);
    const url = "https://media.example.test/a%0Cb%01c%EF%BF%BE.jpg";
    expect(msg.getChildText("body")).toBe(url);
    expect(msg.getChild("x", "jabber:x:oob")?.getChildText("url")).toBe(url);
    expect(offlineEvents).toBe(0);
  });

  it("40 concurrent inbound messages, a quarter of them poisoned: every one delivered once, none lost", async () => {
    const poisons = ["\u000c", "\u0001", "\ufffe", "\u0000"];
    const hooks = Array.from({ length: 40 }, (_, i) => {
      const poison = i % 4 === 0 ? poisons[(i / 4) % poisons.length] : undefined;
      const field = (i / 4) % 3;
      return {
        sid: newSid(),
        poisoned: poison !== undefined,
        params: {
          Body: `msg ${i}${poison !== undefined && field === 0 ? poison : ""}`,
          From: poison !== undefined && field === 1 ? `ACME${poison}${i}` : CONTACT,
          ...(poison !== undefined && field === 2
            ? { NumMedia: "1", MediaUrl0: `https://media.example.test/${i}${poison}.png` }
            : {}),
        },
      };
    });
    const statuses = await Promise.all(hooks.map((h) => post({ MessageSid: h.sid, ...h.params })));
    expect(statuses.map((s) => s.status)).toEqual(hooks.map(() => 200));
    const ids = hooks.map((h) => inboundJobId(h.sid));
    const arrived = (id: string) => alice.received.filter(chatWithId(id)).length;
    await alice
      .waitForCount((el) => el.is("message") && ids.includes(el.attrs.id ?? ""), ids.length, 20_000)
      .catch(() => undefined);
    const lost = hooks.filter((h) => arrived(inboundJobId(h.sid)) === 0);
    const duplicated = ids.filter((id) => arrived(id) > 1);
    expect(
      lost.map((h) => h.params),
      `lost; alice received:\n${describeStanzas(alice.received, 10)}`,
    ).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(hooks.filter((h) => h.poisoned)).toHaveLength(10);
    expect(offlineEvents).toBe(0);
    expect(gw.gateway.transports.get("sms")?.online).toBe(true);
  }, 60_000);
});
