// The end-to-end run with real parts: a user on Prosody writes to
// bob\40example.com@mail.localhost, the gateway sends it through a real Postfix to a recording
// sink; Bob's reply (In-Reply-To set) comes back through Postfix into the SMTP listener and
// arrives in the same XMPP conversation; a bounce comes back as an error stanza.
//
// The gateway is the real one with its own registry entry: the core starts the SMTP listener,
// threads live in its Redis thread store, and the listener's recipient check asks its
// registrations, so Alice, who registers in-band (self-service) while it runs, gets her mail.
import PostalMime from "postal-mime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { freePort } from "../harness/ports.js";
import { startPostfix, type TestPostfix } from "../harness/postfix.js";
import { startRedis, type TestRedis } from "../harness/redis.js";
import { type SmtpSink, startSmtpSink } from "../harness/smtp-sink.js";
import { errorOf, errorText } from "../harness/stanza-match.js";
import { swaks } from "../harness/swaks.js";
import { waitFor } from "../harness/wait.js";
import { connectClient, type Element, type TestClient, xml } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";

const DOMAIN = "mail.localhost";
const SECRET = "component-secret-email-e2e";
const ALICE_MAIL = `alice@${DOMAIN}`;
const BOB_JID = `bob\\40example.com@${DOMAIN}`;
const WAIT = 20_000;
const NS_NICK = "http://jabber.org/protocol/nick";

describe("email end to end", () => {
  let server: XmppServer;
  let internet: SmtpSink;
  let postfix: TestPostfix;
  let gw: TestGateway;
  let redis: TestRedis;
  let alice: TestClient;

  beforeAll(async () => {
    server = await startXmppServer("prosody", { components: [{ domain: DOMAIN, secret: SECRET }] });
    await server.register("alice@localhost", "alice-pw");
    redis = await startRedis({ appendOnly: true });
    const listenPort = await freePort();
    internet = await startSmtpSink();
    postfix = await startPostfix({ transports: { [DOMAIN]: listenPort }, relayPort: internet.port });
    gw = await startTestGateway({
      env: { COMPONENT_SECRET: SECRET, CREDENTIALS_KEY: Buffer.alloc(32, 7).toString("base64") },
      config: {
        xmpp: { service: server.componentService },
        redis: { url: redis.url },
        allowedDomains: ["localhost"],
        credentials: { keys: { e2e: "${CREDENTIALS_KEY}" }, currentKey: "e2e" },
        queue: { outboundAttempts: 3, outboundBackoffMs: 100 },
        gateways: [
          {
            id: "mail",
            domain: DOMAIN,
            secret: "${COMPONENT_SECRET}",
            adapter: "email",
            email: { listen: `127.0.0.1:${listenPort}`, relay: { host: "127.0.0.1", port: postfix.port } },
            registration: { mode: "self-service" },
          },
        ],
      },
    });
    await gw.online();
    alice = await connectClient({ server, username: "alice", password: "alice-pw" });
    const form = xml(
      "x",
      { xmlns: "jabber:x:data", type: "submit" },
      xml("field", { var: "number" }, xml("value", {}, ALICE_MAIL)),
    );
    const answer = await alice.iq(
      xml("iq", { type: "set", to: DOMAIN }, xml("query", { xmlns: "jabber:iq:register" }, form)),
    );
    if (answer.attrs.type !== "result") throw new Error(`registration failed: ${answer.toString()}`);
  }, 120_000);

  afterAll(async () => {
    await alice?.stop();
    await gw?.stop();
    await postfix?.stop();
    await internet?.close();
    await server?.stop();
    await redis?.stop();
  }, 60_000);

  const fromBob = (body: string) => (el: Element) =>
    el.is("message") && el.attrs.from?.split("/")[0] === BOB_JID && el.getChildText("body") === body;

  it("sends Alice's message as a mail to Bob, and Bob's reply arrives in the same conversation", async () => {
    // The XMPP <subject/> becomes the Subject; Alice's XEP-0172 nick her display name.
    await alice.send(
      xml(
        "message",
        { type: "chat", to: BOB_JID, id: "lunch-1" },
        xml("subject", {}, "Lunch"),
        xml("body", {}, "Lunch tomorrow?"),
        xml("nick", { xmlns: NS_NICK }, "Alice A"),
      ),
    );
    const sunk = await internet.waitForMail("bob@example.com", 1, WAIT);
    expect(sunk.from).toBe(ALICE_MAIL);
    const mail = await PostalMime.parse(sunk.raw);
    expect(mail.from?.address).toBe(ALICE_MAIL);
    expect(mail.to?.[0]?.address).toBe("bob@example.com");
    expect(mail.text?.trim()).toBe("Lunch tomorrow?");
    expect(mail.subject).toBe("Lunch");
    expect(mail.from?.name).toBe("Alice A");
    const sentId = mail.messageId ?? "";
    expect(sentId).toMatch(/^<xgw\.[0-9a-f]{32}\.[0-9a-f]{12}@mail\.localhost>$/);

    const r = await swaks({
      port: postfix.port,
      from: "bob@example.com",
      to: ALICE_MAIL,
      header: [
        "From: Bob <bob@example.com>",
        "Subject: Re: Lunch",
        "Message-Id: <bob-1@example.com>",
        `In-Reply-To: ${sentId}`,
        `References: ${sentId}`,
      ],
      body: "Yes, at noon.\n\nOn Tue, Alice wrote:\n> Lunch tomorrow?",
    });
    expect(r.code, r.transcript).toBe(0);
    const reply = await alice.waitFor(fromBob("Yes, at noon."), WAIT);
    expect(reply.attrs.to?.split("/")[0]).toBe("alice@localhost");
    // The mail's Subject as <subject/>, Bob's display name as his nick (the first mail from him).
    expect(reply.getChildText("subject")).toBe("Re: Lunch");
    expect(reply.getChildText("nick", NS_NICK)).toBe("Bob");

    // Alice answers in the same conversation: the mail threads on Bob's.
    await alice.sendMessage(BOB_JID, "See you");
    const next = await PostalMime.parse((await internet.waitForMail("bob@example.com", 2, WAIT)).raw);
    expect(next.inReplyTo).toBe("<bob-1@example.com>");
  });

  it("delivers the same Message-ID once, however often it arrives", async () => {
    const again = () =>
      swaks({
        port: postfix.port,
        from: "bob@example.com",
        to: ALICE_MAIL,
        header: ["Subject: once", "Message-Id: <bob-dup@example.com>"],
        body: "only once",
      });
    for (const r of [await again(), await again()]) expect(r.code, r.transcript).toBe(0);
    await alice.waitFor(fromBob("Subject: once\n\nonly once"), WAIT);
    await alice.sendMessage(BOB_JID, "marker");
    await internet.waitForMail("bob@example.com", 3, WAIT);
    // The marker went out after both copies were taken by the listener (Postfix logs each as sent).
    await waitFor(() => postfix.deliveries("sent").filter((l) => l.includes(ALICE_MAIL)).length >= 3, {
      timeoutMs: WAIT,
      description: "both copies handed to the listener",
    });
    await alice.sendMessage(BOB_JID, "marker 2");
    await internet.waitForMail("bob@example.com", 4, WAIT);
    expect(alice.received.filter(fromBob("Subject: once\n\nonly once"))).toHaveLength(1);
  });

  it("answers 4xx while Redis is down, and the mail arrives once it is back (Postfix retries)", async () => {
    await redis.stop();
    try {
      const r = await swaks({
        port: postfix.port,
        from: "bob@example.com",
        to: ALICE_MAIL,
        header: [
          "Subject: Re: Lunch tomorrow?",
          "In-Reply-To: <bob-1@example.com>",
          "Message-Id: <bob-2@example.com>",
        ],
        body: "Are you still there?",
      });
      expect(r.code, r.transcript).toBe(0);
      await waitFor(
        () => postfix.deliveries("deferred").some((l) => l.includes(ALICE_MAIL) && / 4\d\d /.test(l)),
        {
          timeoutMs: 30_000,
          description: "the listener to answer 4xx and Postfix to defer",
        },
      );
    } finally {
      await redis.start();
    }
    await postfix.flush();
    await alice.waitFor(fromBob("Are you still there?"), 30_000);
  }, 90_000);

  it("turns a bounce for a sent mail into an error stanza naming the recipient and status", async () => {
    internet.refuse("gone@example.com", 550, "5.1.1 no such user here");
    const id = await alice.sendMessage(`gone\\40example.com@${DOMAIN}`, "anyone there?");
    const err = await alice.waitFor(errorOf(id), WAIT);
    expect(errorText(err)).toContain("gone@example.com");
    expect(errorText(err)).toContain("5.1.1");
  });
});
