/**
 * The gateway end to end, on a real Prosody 0.12 and a real ejabberd 23.01, real Redis, a real
 * XMPP client logged in as the user, and Twilio played by a recording server behind a validating
 * proxy of Twilio's own OpenAPI description.
 */
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { startTcpProxy, type TcpProxy } from "../harness/tcp-proxy.js";
import {
  signedTwilioPost,
  startTwilioStandIn,
  type TwilioStandIn,
  twilioSpecPath,
} from "../harness/twilio-standin.js";
import { waitFor, withTimeout } from "../harness/wait.js";
import { connectClient, type Element, type TestClient, xml } from "../harness/xmpp-client.js";
import { startXmppServer, XMPP_SERVER_KINDS, type XmppServer } from "../harness/xmpp-server.js";

const SECRET = "component-secret-e2e-7f3a";
const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
const AUTH_TOKEN = "twilio-auth-token-e2e-91b2";
const ALICE_NUMBER = "+15550001111";
const CONTACT = "+15557654321";
const PUBLIC_URL = "https://gw.example.test/base";
const COMPONENT = "sms.localhost";

let sidCounter = 0;
const newSid = () => `SM${(Date.now().toString(16) + (sidCounter++).toString(16)).padStart(32, "0")}`;

const isError = (id: string, condition: string) => (el: Element) =>
  el.is("message") &&
  el.attrs.type === "error" &&
  el.attrs.id === id &&
  el.getChild("error")?.getChild(condition, "urn:ietf:params:xml:ns:xmpp-stanzas") !== undefined;

const errorText = (el: Element) =>
  el.getChild("error")?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas");

describe.skipIf(!twilioSpecPath())(
  "gateway end to end (Twilio stand-in validated against Twilio's OpenAPI)",
  () => {
    describe.each(XMPP_SERVER_KINDS)("on %s", (kind) => {
      let server: XmppServer;
      let standIn: TwilioStandIn;
      let gw: TestGateway;
      let alice: TestClient;
      let proxy: TcpProxy;

      beforeAll(async () => {
        [server, standIn] = await Promise.all([
          startXmppServer(kind, {
            components: [{ domain: COMPONENT, secret: SECRET }],
            extraHosts: ["other.localhost"],
          }),
          startTwilioStandIn(),
        ]);
        await server.registerMany([
          { user: "alice", password: "alice-pw" },
          { user: "bob", password: "bob-pw" },
        ]);
        await server.register("mallory@other.localhost", "mallory-pw");
        // The component reaches the server through a proxy that can play "server down" on its own.
        proxy = await startTcpProxy(server.componentPort);
        gw = await startTestGateway({
          publicUrl: PUBLIC_URL,
          env: { SMS_SECRET: SECRET, TWILIO_TOKEN: AUTH_TOKEN },
          config: {
            xmpp: {
              service: `xmpp://127.0.0.1:${proxy.port}`,
              reconnectInitialDelayMs: 100,
              reconnectMaxDelayMs: 1000,
            },
            allowedDomains: ["localhost"],
            queue: { outboundAttempts: 3, outboundBackoffMs: 100 },
            gateways: [
              {
                id: "sms",
                domain: COMPONENT,
                secret: "${SMS_SECRET}",
                adapter: "twilio",
                defaultRegion: "US",
                twilio: {
                  accountSid: ACCOUNT_SID,
                  authToken: "${TWILIO_TOKEN}",
                  apiBaseUrl: standIn.baseUrl,
                },
                users: [{ jid: "alice@localhost", number: ALICE_NUMBER }],
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
        await Promise.all([server?.stop(), standIn?.stop(), proxy?.close()]);
        // Secrets never reach a log line, whatever happened above.
        const logs = gw?.logLines.join("") ?? "";
        expect(logs.length).toBeGreaterThan(0);
        expect(logs).not.toContain(SECRET);
        expect(logs).not.toContain(AUTH_TOKEN);
      }, 60_000);

      it("sends a user's message through Twilio with To, From, Body and StatusCallback", async () => {
        const before = standIn.requests.length;
        await alice.sendMessage(`${CONTACT}@${COMPONENT}`, "hello from xmpp ✓");
        const req = await standIn.waitForRequest((r) => r.form.Body === "hello from xmpp ✓", 15_000);
        expect(req.method).toBe("POST");
        expect(req.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
        expect(req.form).toMatchObject({
          To: CONTACT,
          From: ALICE_NUMBER,
          Body: "hello from xmpp ✓",
          StatusCallback: `${PUBLIC_URL}/webhooks/sms/status`,
        });
        expect(standIn.requests.length).toBe(before + 1);
        expect(standIn.validationFailures()).toEqual([]);
      });

      it("never sends chat states, receipts, markers or body-less messages", async () => {
        const before = standIn.requests.length;
        const to = `${CONTACT}@${COMPONENT}`;
        await alice.send(
          xml(
            "message",
            { to, type: "chat" },
            xml("composing", { xmlns: "http://jabber.org/protocol/chatstates" }),
          ),
        );
        await alice.send(xml("message", { to }, xml("received", { xmlns: "urn:xmpp:receipts", id: "x1" })));
        await alice.send(
          xml("message", { to }, xml("displayed", { xmlns: "urn:xmpp:chat-markers:0", id: "x1" })),
        );
        await alice.send(xml("message", { to, type: "chat" }));
        await alice.sendMessage(to, "the only real one");
        const req = await standIn.waitForRequest((r) => r.form.Body === "the only real one", 15_000);
        expect(req.form.To).toBe(CONTACT);
        expect(standIn.requests.length).toBe(before + 1);
      });

      it("delivers a signed inbound webhook to the number's owner, answering empty TwiML", async () => {
        const sid = newSid();
        const res = await postInbound({ MessageSid: sid, Body: "hi alice" });
        expect(res.status).toBe(200);
        expect(res.body).toMatch(/<Response\s*\/>/);
        const msg = await alice.waitFor((el) => el.is("message") && el.getChildText("body") === "hi alice");
        expect(msg.attrs.type).toBe("chat");
        expect(msg.attrs.from).toBe(`${CONTACT}@${COMPONENT}/sms`);
        expect(msg.attrs.to?.startsWith("alice@localhost")).toBe(true);
        // The first message from a number names it (XEP-0172), written for humans; later ones do not.
        expect(msg.getChildText("nick", "http://jabber.org/protocol/nick")).toBe("+1 555 765 4321");
        await postInbound({ MessageSid: newSid(), Body: "hi again" });
        const again = await alice.waitFor((el) => el.getChildText("body") === "hi again");
        expect(again.getChild("nick", "http://jabber.org/protocol/nick")).toBeUndefined();
      });

      it("refuses forged, missing and other-URL signatures with 403 and delivers nothing", async () => {
        const params = inboundParams({ MessageSid: newSid(), Body: "forged" });
        const url = `${gw.localUrl}/webhooks/sms/message`;
        const forged = await signedTwilioPost(url, params, AUTH_TOKEN, { signature: "bm90IGEgc2lnbmF0dXJl" });
        const missing = await signedTwilioPost(url, params, AUTH_TOKEN, { signature: null });
        const otherUrl = await signedTwilioPost(url, params, AUTH_TOKEN, { signUrl: url });
        const wrongKey = await signedTwilioPost(url, params, "another-token", {
          signUrl: `${PUBLIC_URL}/webhooks/sms/message`,
        });
        expect([forged.status, missing.status, otherUrl.status, wrongKey.status]).toEqual([
          403, 403, 403, 403,
        ]);
        // A valid one posted after them arrives; none of the refused ones did before it.
        await postInbound({ MessageSid: newSid(), Body: "after the forged ones" });
        await alice.waitFor((el) => el.getChildText("body") === "after the forged ones");
        expect(alice.received.filter((el) => el.getChildText("body") === "forged")).toEqual([]);
      });

      it("delivers the same MessageSid once, however often it is posted", async () => {
        const sid = newSid();
        const results = await Promise.all(
          [1, 2, 3].map(() => postInbound({ MessageSid: sid, Body: `dup ${sid}` })),
        );
        expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
        expect((await postInbound({ MessageSid: sid, Body: `dup ${sid}` })).status).toBe(200);
        await alice.waitFor((el) => el.getChildText("body") === `dup ${sid}`);
        // A later message overtakes nothing: once it is in, the duplicate would have been too.
        await postInbound({ MessageSid: newSid(), Body: `marker ${sid}` });
        await alice.waitFor((el) => el.getChildText("body") === `marker ${sid}`);
        await alice.expectNone(
          (el) =>
            el.getChildText("body") === `dup ${sid}` &&
            alice.received.filter((e) => e.getChildText("body") === `dup ${sid}`).length > 1,
          500,
        );
        expect(alice.received.filter((e) => e.getChildText("body") === `dup ${sid}`)).toHaveLength(1);
      });

      describe("refusals come back as error stanzas with the original id", () => {
        it("registration-required for a user without a number", async () => {
          const bob = await connectClient({ server, username: "bob", password: "bob-pw" });
          try {
            const id = await bob.sendMessage(`${CONTACT}@${COMPONENT}`, "let me in");
            const err = await bob.waitFor(isError(id, "registration-required"));
            expect(err.attrs.from).toBe(`${CONTACT}@${COMPONENT}`);
            expect(errorText(err)).toMatch(/no number/);
          } finally {
            await bob.stop();
          }
        });

        it("forbidden for a user of a domain that is not allowed", async () => {
          const mallory = await connectClient({
            server: { c2sPort: server.c2sPort, domain: "other.localhost" },
            username: "mallory",
            password: "mallory-pw",
          });
          try {
            const id = await mallory.sendMessage(`${CONTACT}@${COMPONENT}`, "relay me");
            const err = await mallory.waitFor(isError(id, "forbidden"));
            expect(errorText(err)).toMatch(/other\.localhost/);
          } finally {
            await mallory.stop();
          }
        });

        it("jid-malformed for something that is not a phone number", async () => {
          for (const bad of ["not-a-number", "+1555"]) {
            const id = await alice.sendMessage(`${bad}@${COMPONENT}`, "hello?");
            const err = await alice.waitFor(isError(id, "jid-malformed"));
            expect(errorText(err)).toContain(bad);
          }
        });

        it.each([
          [21211, "item-not-found|not-acceptable"],
          [21610, "not-acceptable|forbidden|policy-violation"],
          [21614, "item-not-found|not-acceptable"],
        ])("Twilio's permanent error %i, with its code and reason", async (code, conditions) => {
          const before = standIn.requests.length;
          standIn.enqueueResponse({ status: 400, code, message: `LOCAL reason for ${code}` });
          // A contact of its own: 21610 records an opt-out of that contact from alice's number.
          const contact = `+1555765${String(code).slice(-4)}`;
          const id = await alice.sendMessage(`${contact}@${COMPONENT}`, `permanent ${code}`);
          const err = await alice.waitFor(
            (el) =>
              el.attrs.type === "error" &&
              el.attrs.id === id &&
              new RegExp(`${code}`).test(errorText(el) ?? ""),
            15_000,
          );
          const condition = err
            .getChild("error")
            ?.getChildElements()
            .find((c) => c.attrs.xmlns === "urn:ietf:params:xml:ns:xmpp-stanzas" && c.name !== "text");
          expect(condition?.name).toMatch(new RegExp(`^(${conditions})$`));
          expect(errorText(err)).toContain(String(code));
          // Permanent: asked once, never retried.
          expect(standIn.requests.filter((r) => r.form.Body === `permanent ${code}`)).toHaveLength(1);
          expect(standIn.requests.length).toBe(before + 1);
        });

        it("retries 429 (honouring Retry-After) and 5xx, then sends", async () => {
          standIn.enqueueResponse({ status: 429, retryAfterSeconds: 1 });
          standIn.enqueueResponse({ status: 500 });
          const body = `retry me ${newSid()}`;
          await alice.sendMessage(`${CONTACT}@${COMPONENT}`, body);
          const attempts = await waitForRequests(standIn, (r) => r.form.Body === body, 3, 20_000);
          const first = attempts[0]?.receivedAt ?? 0;
          const second = attempts[1]?.receivedAt ?? 0;
          expect(second - first).toBeGreaterThanOrEqual(950);
        });

        it("remote-server-timeout when the attempts run out", async () => {
          for (let i = 0; i < 3; i++) standIn.enqueueResponse({ status: 503 });
          const id = await alice.sendMessage(`${CONTACT}@${COMPONENT}`, "never gets through");
          const err = await alice.waitFor(isError(id, "remote-server-timeout"), 20_000);
          expect(errorText(err)).toMatch(/3 attempts/);
          expect(standIn.requests.filter((r) => r.form.Body === "never gets through")).toHaveLength(3);
        });
      });

      it("keeps a message for a number nobody owns in the failed set", async () => {
        const sid = newSid();
        const res = await postInbound({ MessageSid: sid, To: "+15559999999", Body: "to nobody" });
        expect(res.status).toBe(200);
        const queue = new Queue("to-xmpp-sms", {
          connection: { url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" },
          prefix: `{${gw.prefix}}`,
        });
        try {
          const failed = await waitForValue(async () => {
            const jobs = await queue.getFailed();
            return jobs.find((j) => (j.data as { providerMessageId?: string }).providerMessageId === sid);
          });
          expect(failed.failedReason).toMatch(/no user owns \+15559999999/);
        } finally {
          await queue.close();
        }
      });

      it("delivers a webhook that arrived while the XMPP server was down after it restarts", async () => {
        const transport = gw.gateway.transports.get("sms");
        if (!transport) throw new Error("no transport");
        const offline = new Promise<void>((resolve) => transport.once("offline", () => resolve()));
        await alice.stop();
        proxy.refuse();
        await server.stop();
        await withTimeout(offline, 10_000, "the component to notice the server is gone");
        const res = await postInbound({ MessageSid: newSid(), Body: "while you were away" });
        expect(res.status).toBe(200);
        await server.start();
        // The user is back before the component: offline storage is the server's business, not ours.
        alice = await connectClient({ server, username: "alice", password: "alice-pw" });
        expect(alice.received.filter((el) => el.getChildText("body") === "while you were away")).toEqual([]);
        proxy.accept();
        await gw.online(30_000);
        const msg = await alice.waitFor((el) => el.getChildText("body") === "while you were away", 30_000);
        expect(msg.attrs.from).toBe(`${CONTACT}@${COMPONENT}/sms`);
      }, 90_000);

      function inboundParams(p: Record<string, string>): Record<string, string> {
        return {
          AccountSid: ACCOUNT_SID,
          From: CONTACT,
          To: ALICE_NUMBER,
          NumMedia: "0",
          NumSegments: "1",
          SmsStatus: "received",
          ApiVersion: "2010-04-01",
          ...p,
        };
      }

      function postInbound(p: Record<string, string>) {
        return signedTwilioPost(`${gw.localUrl}/webhooks/sms/message`, inboundParams(p), AUTH_TOKEN, {
          signUrl: `${PUBLIC_URL}/webhooks/sms/message`,
        });
      }
    });
  },
);

async function waitForRequests(
  standIn: TwilioStandIn,
  pred: (r: TwilioStandIn["requests"][number]) => boolean,
  count: number,
  timeoutMs: number,
) {
  return waitForValue(() => {
    const got = standIn.requests.filter(pred);
    return got.length >= count ? got : undefined;
  }, timeoutMs);
}

function waitForValue<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  return waitFor(probe, { timeoutMs });
}
