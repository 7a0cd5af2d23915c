/**
 * Telnyx end to end: the real gateway (webhooks, component and worker roles), real Redis, a real
 * Prosody and a real XMPP client, with the Telnyx stand-in (prism checking every request against
 * Telnyx's OpenAPI description) and JSON webhooks built to its webhook schemas, signed with a test
 * Ed25519 key pair. Shows: sending and receiving (with media); webhook signatures (forged, another
 * key, 301 s old, replayed after 301 s: 403 and nothing delivered); duplicates delivered once; a
 * late `message.sent` after `message.finalized` changes nothing; bring-your-own registration
 * (a key that does not own the number: item-not-found and nothing stored).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { conditionOf, errorOf, errorText, isReceipt, oobUrl } from "../harness/stanza-match.js";
import {
  deliveryEvent,
  inboundMessageEvent,
  postTelnyxWebhook,
  telnyxKeyPair,
  telnyxSignatureHeaders,
  telnyxSpecPath,
} from "../harness/telnyx-events.js";
import {
  startTelnyxStandIn,
  type TelnyxRecordedRequest,
  type TelnyxStandIn,
} from "../harness/telnyx-standin.js";
import { connectClient, type Element, randomId, type TestClient, xml } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";

const SECRET = "component-secret-telnyx-5c1d";
const DOMAIN = "tx.localhost";
const PUBLIC_URL = "https://telnyx-gw.example.test";
const API_KEY = "KEY-telnyx-e2e-gateway-8f3a";
const OWN_KEY = "KEY-telnyx-e2e-own-2b7c";
const ALICE_NUMBER = "+15550005151";
const OWN_NUMBER = "+15550005252";
const CREDENTIALS_KEY = Buffer.alloc(32, 3).toString("base64");
const NS_REGISTER = "jabber:iq:register";
const WAIT = 15_000;

let counter = 0;
const newContact = () => `+1555${String(7_300_000 + ((Date.now() + counter++ * 7919) % 2_600_000))}`;
const idOf = (r: TelnyxRecordedRequest): string => {
  const id = (JSON.parse(r.response.body) as { data?: { id?: unknown } }).data?.id;
  if (typeof id !== "string") throw new Error(`no id in ${r.response.body}`);
  return id;
};
const registerIq = (values: Record<string, string>) =>
  xml(
    "iq",
    { type: "set", to: DOMAIN },
    xml(
      "query",
      { xmlns: NS_REGISTER },
      xml(
        "x",
        { xmlns: "jabber:x:data", type: "submit" },
        ...Object.entries(values).map(([k, v]) => xml("field", { var: k }, xml("value", {}, v))),
      ),
    ),
  );

describe.skipIf(!telnyxSpecPath())("Telnyx end to end on Prosody", () => {
  const keys = telnyxKeyPair();
  const otherKeys = telnyxKeyPair();
  let server: XmppServer;
  let standIn: TelnyxStandIn;
  let gw: TestGateway;
  let alice: TestClient;
  let bob: TestClient;
  const url = (route: string) => `${gw.localUrl}/webhooks/tx/${route}`;
  const fromContact = (contact: string, body?: string) => (el: Element) =>
    el.is("message") &&
    el.attrs.type !== "error" &&
    el.attrs.from?.split("/")[0] === `${contact}@${DOMAIN}` &&
    (body === undefined || el.getChildText("body") === body);
  /** Something posted after everything before it has been handled (the queue keeps order per contact). */
  const marker = async (contact: string) => {
    const body = randomId("marker");
    expect((await postTelnyxWebhook(url("message"), inbound(contact, body), keys.privateKey)).status).toBe(
      200,
    );
    await alice.waitFor(fromContact(contact, body), WAIT);
  };
  const inbound = (contact: string, text: string, id?: string) =>
    inboundMessageEvent({ from: contact, to: ALICE_NUMBER, text, ...(id ? { id } : {}) });
  const delivered = (contact: string, text: string) => alice.received.filter(fromContact(contact, text));

  beforeAll(async () => {
    server = await startXmppServer("prosody", { components: [{ domain: DOMAIN, secret: SECRET }] });
    await server.registerMany([
      { user: "alice", password: "alice-pw" },
      { user: "bob", password: "bob-pw" },
    ]);
    standIn = await startTelnyxStandIn({ accounts: { [API_KEY]: [ALICE_NUMBER], [OWN_KEY]: [OWN_NUMBER] } });
    gw = await startTestGateway({
      publicUrl: PUBLIC_URL,
      env: { SECRET, TELNYX_API_KEY: API_KEY, TELNYX_PUBLIC_KEY: keys.publicKey, CREDENTIALS_KEY },
      config: {
        xmpp: { service: server.componentService },
        allowedDomains: ["localhost"],
        queue: { outboundAttempts: 3, outboundBackoffMs: 100 },
        credentials: { keys: { e2e: "${CREDENTIALS_KEY}" }, currentKey: "e2e" },
        gateways: [
          {
            id: "tx",
            domain: DOMAIN,
            secret: "${SECRET}",
            adapter: "telnyx",
            registration: { mode: "self-service" },
            telnyx: {
              apiKey: "${TELNYX_API_KEY}",
              publicKey: "${TELNYX_PUBLIC_KEY}",
              messagingProfileId: "4001767e-ce0f-4cae-9d5f-0d5e636e7809",
              apiBaseUrl: standIn.baseUrl,
            },
            users: [{ jid: "alice@localhost", number: ALICE_NUMBER }],
          },
        ],
      },
    });
    await gw.online();
    [alice, bob] = await Promise.all([
      connectClient({ server, username: "alice", password: "alice-pw" }),
      connectClient({ server, username: "bob", password: "bob-pw" }),
    ]);
  }, 120_000);

  afterEach(() => {
    vi.useRealTimers();
  });

  afterAll(async () => {
    await Promise.all([alice?.stop(), bob?.stop()]);
    await gw?.stop();
    await Promise.all([server?.stop(), standIn?.stop()]);
    expect(gw.logLines.join("")).not.toContain(API_KEY);
    expect(gw.logLines.join("")).not.toContain(OWN_KEY);
  }, 60_000);

  it("sends through POST /v2/messages and turns message.finalized delivered into a receipt", async () => {
    const contact = newContact();
    const id = randomId("tx");
    await alice.send(
      xml(
        "message",
        { type: "chat", to: `${contact}@${DOMAIN}`, id },
        xml("body", {}, "hello telnyx"),
        xml("request", { xmlns: "urn:xmpp:receipts" }),
      ),
    );
    const r = await standIn.waitForRequest(
      (x) => (x.json as { text?: string } | undefined)?.text === "hello telnyx",
      WAIT,
    );
    expect(r.apiKey).toBe(API_KEY);
    expect(r.json).toMatchObject({
      from: ALICE_NUMBER,
      to: contact,
      webhook_url: `${PUBLIC_URL}/webhooks/tx/status`,
      messaging_profile_id: "4001767e-ce0f-4cae-9d5f-0d5e636e7809",
    });
    const report = (eventType: "message.sent" | "message.finalized", status: "sent" | "delivered") =>
      postTelnyxWebhook(
        url("status"),
        deliveryEvent({ id: idOf(r), from: ALICE_NUMBER, to: contact, eventType, status }),
        keys.privateKey,
      );
    expect((await report("message.finalized", "delivered")).status).toBe(200);
    await alice.waitFor(isReceipt(id), WAIT);
    // Late and out of order: message.sent after message.finalized changes nothing.
    expect((await report("message.sent", "sent")).status).toBe(200);
    expect((await report("message.finalized", "delivered")).status).toBe(200);
    await marker(contact);
    expect(alice.received.filter(isReceipt(id))).toHaveLength(1);
    expect(alice.received.filter(errorOf(id))).toEqual([]);
  });

  it("a failed delivery names the errors[] code; a late message.sent does not undo it", async () => {
    const contact = newContact();
    const id = await alice.sendMessage(`${contact}@${DOMAIN}`, "to a landline");
    const r = await standIn.waitForRequest(
      (x) => (x.json as { text?: string } | undefined)?.text === "to a landline",
      WAIT,
    );
    const body = deliveryEvent({
      id: idOf(r),
      from: ALICE_NUMBER,
      to: contact,
      eventType: "message.finalized",
      status: "delivery_failed",
      errors: [{ code: "40001", title: "Not routable" }],
    });
    expect((await postTelnyxWebhook(url("status"), body, keys.privateKey)).status).toBe(200);
    const err = await alice.waitFor(errorOf(id), WAIT);
    expect(conditionOf(err)).toBe("not-acceptable");
    expect(errorText(err)).toMatch(/Telnyx error 40001: the recipient is a landline/);
    const late = deliveryEvent({
      id: idOf(r),
      from: ALICE_NUMBER,
      to: contact,
      eventType: "message.sent",
      status: "sent",
    });
    expect((await postTelnyxWebhook(url("status"), late, keys.privateKey)).status).toBe(200);
    await marker(contact);
    expect(alice.received.filter(errorOf(id))).toHaveLength(1);
    expect(alice.received.filter(isReceipt(id))).toEqual([]);
  });

  it("delivers message.received with its media as OOB, and the same event posted twice once", async () => {
    const contact = newContact();
    const body = inboundMessageEvent({
      from: contact,
      to: ALICE_NUMBER,
      text: "a picture",
      media: [{ url: "https://media.telnyx.example/p.jpg" }],
    });
    const first = await postTelnyxWebhook(url("message"), body, keys.privateKey);
    const second = await postTelnyxWebhook(url("message"), body, keys.privateKey);
    expect([first.status, second.status]).toEqual([200, 200]);
    await alice.waitFor(fromContact(contact, "a picture"), WAIT);
    await alice.waitFor(
      (el) => fromContact(contact)(el) && oobUrl(el) === "https://media.telnyx.example/p.jpg",
      WAIT,
    );
    await marker(contact);
    expect(delivered(contact, "a picture")).toHaveLength(1);
  });

  it("forged, other key, 301 s old, replayed after 301 s: 403 and nothing delivered", async () => {
    const contact = newContact();
    const now = Math.floor(Date.now() / 1000);
    const forgedBody = inbound(contact, "forged");
    const forged = await postTelnyxWebhook(url("message"), forgedBody, keys.privateKey, {
      headers: { "telnyx-signature-ed25519": Buffer.alloc(64, 1).toString("base64") },
    });
    const other = await postTelnyxWebhook(
      url("message"),
      inbound(contact, "other key"),
      otherKeys.privateKey,
    );
    const old = await postTelnyxWebhook(url("message"), inbound(contact, "old"), keys.privateKey, {
      timestamp: now - 301,
    });
    // A valid webhook, delivered once; the same bytes replayed 301 s later, and one never posted.
    const valid = inbound(contact, "replayed");
    const headers = telnyxSignatureHeaders(keys.privateKey, valid);
    const unposted = inbound(contact, "held back");
    const heldHeaders = telnyxSignatureHeaders(keys.privateKey, unposted);
    expect((await postTelnyxWebhook(url("message"), valid, keys.privateKey, { headers })).status).toBe(200);
    await alice.waitFor(fromContact(contact, "replayed"), WAIT);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 301_000);
    const replay = await postTelnyxWebhook(url("message"), valid, keys.privateKey, { headers });
    const held = await postTelnyxWebhook(url("message"), unposted, keys.privateKey, { headers: heldHeaders });
    vi.useRealTimers();
    expect([forged.status, other.status, old.status, replay.status, held.status]).toEqual([
      403, 403, 403, 403, 403,
    ]);
    await marker(contact);
    for (const text of ["forged", "other key", "old", "held back"])
      expect(delivered(contact, text)).toEqual([]);
    expect(delivered(contact, "replayed")).toHaveLength(1);
  });

  it("bring-your-own: a key that does not own the number is item-not-found and nothing is stored; one that does registers", async () => {
    const ownKeys = telnyxKeyPair();
    const registered = async () =>
      (await bob.iq(xml("iq", { type: "get", to: DOMAIN }, xml("query", { xmlns: NS_REGISTER }))))
        .getChild("query", NS_REGISTER)
        ?.getChild("registered");
    const bad = await bob.iq(
      registerIq({ number: ALICE_NUMBER, apiKey: OWN_KEY, publicKey: ownKeys.publicKey }),
    );
    expect(bad.attrs.type).toBe("error");
    expect(conditionOf(bad)).toBe("item-not-found");
    expect(bad.toString()).not.toContain(OWN_KEY);
    expect(await registered()).toBeUndefined();
    const good = await bob.iq(
      registerIq({ number: OWN_NUMBER, apiKey: OWN_KEY, publicKey: ownKeys.publicKey }),
    );
    expect(good.attrs.type, good.toString()).toBe("result");
    expect(await registered()).toBeDefined();
    // Bob's messages go out with his own key; his own key signs his number's webhooks.
    const contact = newContact();
    await bob.sendMessage(`${contact}@${DOMAIN}`, "from my own account");
    const r = await standIn.waitForRequest(
      (x) => (x.json as { text?: string } | undefined)?.text === "from my own account",
      WAIT,
    );
    expect(r.apiKey).toBe(OWN_KEY);
    expect(r.json).toEqual({
      from: OWN_NUMBER,
      to: contact,
      text: "from my own account",
      webhook_url: `${PUBLIC_URL}/webhooks/tx/status`,
    });
    const toBob = inboundMessageEvent({ from: contact, to: OWN_NUMBER, text: "to bob" });
    expect((await postTelnyxWebhook(url("message"), toBob, ownKeys.privateKey)).status).toBe(200);
    await bob.waitFor((el) => el.is("message") && el.getChildText("body") === "to bob", WAIT);
  });

  it("made only requests Telnyx's spec accepts, and built only webhooks it describes", () => {
    expect(standIn.requests.length).toBeGreaterThan(0);
    expect(standIn.validationFailures()).toEqual([]);
  });
});
