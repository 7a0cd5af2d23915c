/**
 * The component's features beside messaging, end to end on a real Prosody 0.12 and a real
 * ejabberd 23.01, with a real XMPP client: service discovery, version, ping, jabber:iq:gateway,
 * XEP-0077 registration (self-service, the user's own Twilio account checked against the
 * stand-in), presence, XEP-0050 commands, and unavailable presence on shutdown.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { startTwilioStandIn, type TwilioStandIn, twilioSpecPath } from "../harness/twilio-standin.js";
import { waitFor } from "../harness/wait.js";
import { connectClient, type Element, type TestClient, xml } from "../harness/xmpp-client.js";
import { startXmppServer, XMPP_SERVER_KINDS, type XmppServer } from "../harness/xmpp-server.js";

const SECRET = "component-secret-features-41d0";
const COMPONENT = "sms.localhost";
const GATEWAY_SID = `AC${"fe".repeat(16)}`;
const GATEWAY_TOKEN = "gateway-token-features-77aa";
const ALICE_SID = `AC${"a1".repeat(16)}`;
const ALICE_TOKEN = "alice-own-token-93cd";
const ALICE_NUMBER = "+15550004141";
const ALICE_OTHER = "+15550004242";
const CONTACT = "+15557654321";
const CREDENTIALS_KEY = Buffer.alloc(32, 4).toString("base64");

const NS = {
  info: "http://jabber.org/protocol/disco#info",
  items: "http://jabber.org/protocol/disco#items",
  register: "jabber:iq:register",
  commands: "http://jabber.org/protocol/commands",
  data: "jabber:x:data",
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
};

const condition = (el: Element) =>
  el
    .getChild("error")
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === NS.stanzas && c.name !== "text")?.name;

const submit = (values: Record<string, string>) =>
  xml(
    "x",
    { xmlns: NS.data, type: "submit" },
    ...Object.entries(values).map(([k, v]) => xml("field", { var: k }, xml("value", {}, v))),
  );

const presenceFrom = (from: string, type?: string) => (el: Element) =>
  el.is("presence") && el.attrs.from === from && el.attrs.type === type;

/**
 * The subscription state of `jid` in the user's roster ("none" when absent). Prosody 0.12 does not
 * forward `subscribed`/`unsubscribed` presence to clients (it updates the roster instead, and
 * pushes only to sessions that fetched the roster), ejabberd does: the roster is what both agree on.
 */
async function subscription(c: TestClient, jid: string): Promise<string> {
  const roster = await c.iq(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:roster" })));
  const item = roster
    .getChild("query", "jabber:iq:roster")
    ?.getChildren("item")
    .find((i) => i.attrs.jid === jid);
  return item?.attrs.subscription ?? "none";
}

const waitForSubscription = (c: TestClient, jid: string, states: string[]) =>
  waitFor(async () => states.includes(await subscription(c, jid)), {
    timeoutMs: 10_000,
    description: `${jid} in ${c.bareJid}'s roster with subscription ${states.join(" or ")}`,
  });

describe.skipIf(!twilioSpecPath())("component features end to end", () => {
  describe.each(XMPP_SERVER_KINDS)("on %s", (kind) => {
    let server: XmppServer;
    let standIn: TwilioStandIn;
    let gw: TestGateway;
    let alice: TestClient;
    let bob: TestClient;
    let admin: TestClient;

    beforeAll(async () => {
      [server, standIn] = await Promise.all([
        startXmppServer(kind, { components: [{ domain: COMPONENT, secret: SECRET }] }),
        startTwilioStandIn({
          accounts: { [GATEWAY_SID]: GATEWAY_TOKEN, [ALICE_SID]: ALICE_TOKEN },
          incomingNumbers: { [ALICE_SID]: [ALICE_NUMBER, ALICE_OTHER] },
        }),
      ]);
      await server.registerMany([
        { user: "feat-alice", password: "alice-pw" },
        { user: "feat-bob", password: "bob-pw" },
        { user: "feat-admin", password: "admin-pw" },
      ]);
      gw = await startTestGateway({
        env: { SMS_SECRET: SECRET, TWILIO_TOKEN: GATEWAY_TOKEN, CREDENTIALS_KEY },
        config: {
          xmpp: { service: server.componentService },
          allowedDomains: ["localhost"],
          admins: ["feat-admin@localhost"],
          credentials: { keys: { k1: "${CREDENTIALS_KEY}" }, currentKey: "k1" },
          gateways: [
            {
              id: "sms",
              domain: COMPONENT,
              name: "Test SMS",
              secret: "${SMS_SECRET}",
              adapter: "twilio",
              defaultRegion: "US",
              registration: { mode: "self-service" },
              twilio: { accountSid: GATEWAY_SID, authToken: "${TWILIO_TOKEN}", apiBaseUrl: standIn.baseUrl },
            },
          ],
        },
      });
      await gw.online();
      [alice, bob, admin] = await Promise.all([
        connectClient({ server, username: "feat-alice", password: "alice-pw" }),
        connectClient({ server, username: "feat-bob", password: "bob-pw" }),
        connectClient({ server, username: "feat-admin", password: "admin-pw" }),
      ]);
    }, 120_000);

    afterAll(async () => {
      await Promise.all([alice?.stop(), bob?.stop(), admin?.stop()]);
      await gw?.stop();
      await Promise.all([server?.stop(), standIn?.stop()]);
      const logs = gw?.logLines.join("") ?? "";
      expect(logs).not.toContain(ALICE_TOKEN);
      expect(logs).not.toContain(GATEWAY_TOKEN);
    }, 60_000);

    it("answers disco#info on the domain and on a contact, version and pings", async () => {
      const info = await alice.iq(
        xml("iq", { type: "get", to: COMPONENT }, xml("query", { xmlns: NS.info })),
      );
      expect(info.attrs.type).toBe("result");
      const q = info.getChild("query", NS.info);
      expect(q?.getChild("identity")?.attrs).toMatchObject({
        category: "gateway",
        type: "sms",
        name: "Test SMS",
      });
      const features = q?.getChildren("feature").map((f) => f.attrs.var);
      expect(features).toEqual(expect.arrayContaining([NS.register, "jabber:iq:gateway", NS.commands]));

      const contact = await alice.iq(
        xml("iq", { type: "get", to: `${CONTACT}@${COMPONENT}` }, xml("query", { xmlns: NS.info })),
      );
      expect(contact.getChild("query", NS.info)?.getChild("identity")?.attrs.category).toBe("client");

      const version = await alice.iq(
        xml("iq", { type: "get", to: COMPONENT }, xml("query", { xmlns: "jabber:iq:version" })),
      );
      expect(version.getChild("query", "jabber:iq:version")?.getChildText("name")).toBe("xmpp-gateway");

      for (const to of [COMPONENT, `${CONTACT}@${COMPONENT}`]) {
        const pong = await alice.iq(xml("iq", { type: "get", to }, xml("ping", { xmlns: "urn:xmpp:ping" })));
        expect(pong.attrs.type).toBe("result");
      }
    });

    it("answers an unknown namespace service-unavailable, exactly once", async () => {
      const id = `unknown-${kind}`;
      const reply = await alice.iq(
        xml("iq", { type: "get", to: COMPONENT, id }, xml("query", { xmlns: "urn:example:unknown" })),
      );
      expect(reply.attrs.type).toBe("error");
      expect(condition(reply)).toBe("service-unavailable");
      // A ping after it is answered; by then a second reply to the first would have arrived.
      await alice.iq(xml("iq", { type: "get", to: COMPONENT }, xml("ping", { xmlns: "urn:xmpp:ping" })));
      expect(alice.received.filter((el) => el.is("iq") && el.attrs.id === id)).toHaveLength(1);
    });

    it("turns a typed number into a contact JID with jabber:iq:gateway", async () => {
      const reply = await alice.iq(
        xml(
          "iq",
          { type: "set", to: COMPONENT },
          xml("query", { xmlns: "jabber:iq:gateway" }, xml("prompt", {}, "(555) 765-4321")),
        ),
      );
      expect(reply.getChild("query", "jabber:iq:gateway")?.getChildText("jid")).toBe(
        `${CONTACT}@${COMPONENT}`,
      );
      const bad = await alice.iq(
        xml(
          "iq",
          { type: "set", to: COMPONENT },
          xml("query", { xmlns: "jabber:iq:gateway" }, xml("prompt", {}, "call me maybe")),
        ),
      );
      expect(condition(bad)).toBe("bad-request");
    });

    it("registers alice with her own Twilio account, subscribes to her, and sends with her account", async () => {
      const form = await alice.iq(
        xml("iq", { type: "get", to: COMPONENT }, xml("query", { xmlns: NS.register })),
      );
      const vars = form
        .getChild("query", NS.register)
        ?.getChild("x", NS.data)
        ?.getChildren("field")
        .map((f) => f.attrs.var);
      expect(vars).toEqual(["FORM_TYPE", "number", "accountSid", "authToken"]);

      const wrong = await alice.iq(
        xml(
          "iq",
          { type: "set", to: COMPONENT },
          xml(
            "query",
            { xmlns: NS.register },
            submit({ number: ALICE_NUMBER, accountSid: ALICE_SID, authToken: "nope" }),
          ),
        ),
      );
      expect(condition(wrong)).toBe("not-authorized");
      // Refused credentials leave nothing behind: the form still shows no registration.
      const after = await alice.iq(
        xml("iq", { type: "get", to: COMPONENT }, xml("query", { xmlns: NS.register })),
      );
      expect(after.attrs.type).toBe("result");
      expect(after.getChild("query", NS.register)?.getChild("registered")).toBeUndefined();

      const ok = await alice.iq(
        xml(
          "iq",
          { type: "set", to: COMPONENT },
          xml(
            "query",
            { xmlns: NS.register },
            submit({ number: "555-000-4141", accountSid: ALICE_SID, authToken: ALICE_TOKEN }),
          ),
        ),
      );
      expect(ok.attrs.type).toBe("result");
      // The gateway asks for alice's presence; her client approves and subscribes back (XEP-0100).
      await alice.waitFor(presenceFrom(COMPONENT, "subscribe"));
      await alice.send(xml("presence", { to: COMPONENT, type: "subscribed" }));
      await alice.send(xml("presence", { to: COMPONENT, type: "subscribe" }));
      await waitForSubscription(alice, COMPONENT, ["both"]);
      await alice.waitFor(presenceFrom(COMPONENT, undefined));

      await alice.sendMessage(`${CONTACT}@${COMPONENT}`, `hello from ${kind}`);
      const sent = await standIn.waitForRequest((r) => r.form.Body === `hello from ${kind}`, 15_000);
      expect(sent.path).toBe(`/2010-04-01/Accounts/${ALICE_SID}/Messages.json`);
      expect(sent.form.From).toBe(ALICE_NUMBER);
      expect(standIn.validationFailures()).toEqual([]);
    });

    it("keeps one number per user and one user per number", async () => {
      const taken = await bob.iq(
        xml(
          "iq",
          { type: "set", to: COMPONENT },
          xml(
            "query",
            { xmlns: NS.register },
            submit({ number: ALICE_NUMBER, accountSid: ALICE_SID, authToken: ALICE_TOKEN }),
          ),
        ),
      );
      expect(condition(taken)).toBe("conflict");
      const again = await alice.iq(
        xml(
          "iq",
          { type: "set", to: COMPONENT },
          xml(
            "query",
            { xmlns: NS.register },
            submit({ number: ALICE_OTHER, accountSid: ALICE_SID, authToken: ALICE_TOKEN }),
          ),
        ),
      );
      expect(again.attrs.type).toBe("result");
      const form = await alice.iq(
        xml("iq", { type: "get", to: COMPONENT }, xml("query", { xmlns: NS.register })),
      );
      expect(form.getChild("query", NS.register)?.getChild("registered")).toBeDefined();
      expect(form.getChild("query", NS.register)?.getChildText("username")).toBe(ALICE_OTHER);
    });

    it("approves a subscription to a contact with subscribed and available presence", async () => {
      const contact = `${CONTACT}@${COMPONENT}`;
      await alice.send(xml("presence", { to: contact, type: "subscribe" }));
      await waitForSubscription(alice, contact, ["to", "both"]);
      await alice.waitFor(presenceFrom(contact, undefined));
    });

    it("runs commands: admins list users and queues, others are forbidden", async () => {
      const items = await admin.iq(
        xml("iq", { type: "get", to: COMPONENT }, xml("query", { xmlns: NS.items, node: NS.commands })),
      );
      const nodes = items
        .getChild("query", NS.items)
        ?.getChildren("item")
        .map((i) => i.attrs.node);
      expect(nodes).toEqual(expect.arrayContaining(["admin-list-users", "admin-queue-status"]));

      const run = (c: TestClient, node: string) =>
        c.iq(
          xml(
            "iq",
            { type: "set", to: COMPONENT },
            xml("command", { xmlns: NS.commands, node, action: "execute" }),
          ),
        );
      const list = await run(admin, "admin-list-users");
      const users = list
        .getChild("command", NS.commands)
        ?.getChild("x", NS.data)
        ?.getChildren("field")
        .find((f) => f.attrs.var === "users")
        ?.getChildren("value")
        .map((v) => v.getText());
      expect(users).toEqual([`feat-alice@localhost ${ALICE_OTHER} (self-service)`]);

      const status = await run(admin, "admin-queue-status");
      const fields =
        status.getChild("command", NS.commands)?.getChild("x", NS.data)?.getChildren("field") ?? [];
      expect(fields.map((f) => f.attrs.var)).toEqual(["outbound-sms", "to-xmpp-sms"]);
      expect(fields[0]?.getChildText("value")).toMatch(/completed \d+/);

      const forbidden = await run(bob, "admin-list-users");
      expect(condition(forbidden)).toBe("forbidden");
    });

    it("unregisters with <remove/>: unavailable and unsubscribed from the gateway", async () => {
      const removed = await alice.iq(
        xml("iq", { type: "set", to: COMPONENT }, xml("query", { xmlns: NS.register }, xml("remove"))),
      );
      expect(removed.attrs.type).toBe("result");
      await alice.waitFor(presenceFrom(COMPONENT, "unavailable"));
      await waitForSubscription(alice, COMPONENT, ["none"]);
      const id = await alice.sendMessage(`${CONTACT}@${COMPONENT}`, "after unregistering");
      const err = await alice.waitFor((el) => el.attrs.type === "error" && el.attrs.id === id);
      expect(condition(err)).toBe("registration-required");
    });

    it("says unavailable to registered users before the component disconnects on shutdown", async () => {
      const bound = await admin.iq(
        xml(
          "iq",
          { type: "set", to: COMPONENT },
          xml("command", { xmlns: NS.commands, node: "admin-bind", action: "execute" }),
        ),
      );
      const sessionid = bound.getChild("command", NS.commands)?.attrs.sessionid ?? "";
      const done = await admin.iq(
        xml(
          "iq",
          { type: "set", to: COMPONENT },
          xml(
            "command",
            { xmlns: NS.commands, node: "admin-bind", sessionid, action: "complete" },
            submit({ jid: "feat-bob@localhost", number: "+15550005151" }),
          ),
        ),
      );
      expect(done.getChild("command", NS.commands)?.attrs.status).toBe("completed");
      await bob.waitFor(presenceFrom(COMPONENT, "subscribe"));
      await bob.send(xml("presence", { to: COMPONENT, type: "subscribed" }));
      await bob.send(xml("presence", { to: COMPONENT, type: "subscribe" }));
      await bob.waitFor(presenceFrom(COMPONENT, undefined));
      const before = bob.received.filter(presenceFrom(COMPONENT, "unavailable")).length;
      await gw.stop();
      await bob.waitForCount(presenceFrom(COMPONENT, "unavailable"), before + 1, 10_000);
    });
  });
});
