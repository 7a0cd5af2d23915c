/**
 * What one message and one user may cost (issue #9), end to end on a real Prosody and Redis, a
 * real XMPP client and the Twilio stand-in: a 250 KB stanza is refused at intake while /healthz
 * keeps answering, a user's 1,001st message of the day is refused while another user is not, a
 * premium-rate destination is refused, and registration checks (provider API calls) are limited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { startTwilioStandIn, type TwilioStandIn, twilioSpecPath } from "../harness/twilio-standin.js";
import { waitFor } from "../harness/wait.js";
import { connectClient, type Element, randomId, type TestClient, xml } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";

const SECRET = "component-secret-limits-91c2";
const ACCOUNT_SID = `AC${"fedcba9876543210".repeat(2)}`;
const AUTH_TOKEN = "twilio-auth-token-limits-3e8a";
const CAROL_SID = `AC${"00112233445566778899aabbccddeeff"}`;
const CAROL_TOKEN = "carol-own-token-limits-5b17";
const SMS = "sms.localhost";
const BYO = "byo.localhost";
const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const NS_REGISTER = "jabber:iq:register";
const DAY_LIMIT = 1000;
const CHECKS = 3;

let counter = 0;
const newContact = () => `+1555${String(7_000_000 + ((Date.now() + counter++ * 7919) % 2_999_999))}`;
const errorOf = (id: string) => (el: Element) =>
  el.is("message") && el.attrs.type === "error" && el.attrs.id === id;
const conditionOf = (el: Element) =>
  el
    .getChild("error")
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== "text")?.name;
const errorText = (el: Element) => el.getChild("error")?.getChildText("text", NS_STANZAS) ?? "";

describe.skipIf(!twilioSpecPath())("cost limits end to end on Prosody (issue #9)", () => {
  let server: XmppServer;
  let standIn: TwilioStandIn;
  let gw: TestGateway;
  let alice: TestClient;
  let bob: TestClient;
  let carol: TestClient;

  beforeAll(async () => {
    [server, standIn] = await Promise.all([
      startXmppServer("prosody", {
        components: [
          { domain: SMS, secret: SECRET },
          { domain: BYO, secret: SECRET },
        ],
      }),
      startTwilioStandIn({
        accounts: { [ACCOUNT_SID]: AUTH_TOKEN, [CAROL_SID]: CAROL_TOKEN },
        incomingNumbers: { [CAROL_SID]: ["+15550003333"] },
      }),
    ]);
    await server.registerMany([
      { user: "alice", password: "alice-pw" },
      { user: "bob", password: "bob-pw" },
      { user: "carol", password: "carol-pw" },
    ]);
    const twilio = { accountSid: ACCOUNT_SID, authToken: "${TWILIO_TOKEN}", apiBaseUrl: standIn.baseUrl };
    gw = await startTestGateway({
      env: { SECRET, TWILIO_TOKEN: AUTH_TOKEN, CREDENTIALS_KEY: Buffer.alloc(32, 9).toString("base64") },
      config: {
        xmpp: { service: server.componentService },
        credentials: { keys: { k1: "${CREDENTIALS_KEY}" }, currentKey: "k1" },
        allowedDomains: ["localhost"],
        queue: { outboundAttempts: 2, outboundBackoffMs: 100 },
        gateways: [
          {
            id: "sms",
            domain: SMS,
            secret: "${SECRET}",
            adapter: "twilio",
            twilio,
            users: [
              { jid: "alice@localhost", number: "+15550001111" },
              { jid: "bob@localhost", number: "+15550002222" },
            ],
            // The daily quota under test; the per-minute rates out of its way.
            limits: {
              perUser: {
                messagesPerDay: DAY_LIMIT,
                messagesBurst: 2000,
                messagesPerMinute: 100_000,
                segmentsPerMinute: 100_000,
                segmentsBurst: 2000,
                segmentsPerDay: 5000,
              },
            },
          },
          {
            id: "byo",
            domain: BYO,
            secret: "${SECRET}",
            adapter: "twilio",
            twilio,
            registration: { mode: "self-service", checksPerWindow: CHECKS, checkWindowSeconds: 600 },
          },
        ],
      },
    });
    await gw.online();
    [alice, bob, carol] = await Promise.all([
      connectClient({ server, username: "alice", password: "alice-pw" }),
      connectClient({ server, username: "bob", password: "bob-pw" }),
      connectClient({ server, username: "carol", password: "carol-pw" }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([alice?.stop(), bob?.stop(), carol?.stop()]);
    await gw?.stop();
    await Promise.all([server?.stop(), standIn?.stop()]);
    const logs = gw?.logLines.join("") ?? "";
    expect(logs).not.toContain(AUTH_TOKEN);
    expect(logs).not.toContain(CAROL_TOKEN);
  }, 60_000);

  const requestsTo = (to: string) => standIn.requests.filter((r) => r.form.To === to);
  const messageRequests = () => standIn.requests.filter((r) => r.path.endsWith("/Messages.json"));

  /** A message that arrives after everything `client` sent before it has been handled. */
  async function roundTrip(client: TestClient, contact: string): Promise<void> {
    const body = randomId("marker");
    await client.sendMessage(`${contact}@${SMS}`, body);
    await standIn.waitForRequest((r) => r.form.Body === body, 15_000);
  }

  it("refuses a 250 KB stanza with not-acceptable before queueing it, /healthz answering within 100 ms", async () => {
    const contact = newContact();
    const huge = "a long text ".repeat(250_000 / 12).padEnd(250_000, "x");
    // /healthz, asked again and again while the stanza is handled: the event loop must stay free.
    // Each answer's time is taken twice: on the wall clock, and as the CPU time this process (the
    // gateway runs in it) spent meanwhile. On a quiet machine the two agree; on a busy one the
    // wall clock also counts the time other processes had the CPU, which says nothing about us.
    const latencies: { wall: number; cpu: number }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const res = await fetch(`${gw.localUrl}/healthz`);
        await res.text();
        const c = process.cpuUsage(c0);
        latencies.push({ wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 });
        expect(res.status).toBe(200);
      }
    })();
    await waitFor(() => latencies.length >= 5, { timeoutMs: 5_000, description: "/healthz answering" });
    const before = latencies.length;
    const id = await alice.sendMessage(`${contact}@${SMS}`, huge);
    const err = await alice.waitFor(errorOf(id), 30_000);
    // Anything the worker might still do with it would happen before this later message.
    await roundTrip(alice, contact);
    polling = false;
    await poller;

    expect(conditionOf(err)).toBe("not-acceptable");
    expect(errorText(err)).toBe(
      "The message is 250,000 characters long; this gateway sends at most 4,800 characters (3 parts) per message. Shorten it or send it in several messages.",
    );
    expect(requestsTo(contact)).toHaveLength(1); // the round trip only
    const during = latencies.slice(before);
    expect(during.length).toBeGreaterThan(5);
    const worst = Math.max(...during.map((l) => Math.min(l.wall, l.cpu)));
    console.log(
      `/healthz while the 250 KB stanza was handled: ${during.length} answers, worst ${worst.toFixed(1)} ms (wall ${Math.max(...during.map((l) => l.wall)).toFixed(1)} ms, CPU ${Math.max(...during.map((l) => l.cpu)).toFixed(1)} ms)`,
    );
    expect(worst).toBeLessThan(100);
    const metrics = await (await fetch(`${gw.internalUrl}/metrics`)).text();
    expect(metrics).toMatch(/xgw_outbound_limited_total\{gateway="sms",limit="body-length"\} 1/);
  }, 60_000);

  it("refuses a premium-rate destination with policy-violation, naming it, without a provider request", async () => {
    const id = await alice.sendMessage(`+19005551234@${SMS}`, "win a prize");
    const err = await alice.waitFor(errorOf(id), 15_000);
    expect(conditionOf(err)).toBe("policy-violation");
    expect(errorText(err)).toBe(
      "+1 900 555 1234 is a premium-rate number; this gateway does not send to premium-rate numbers.",
    );
    await roundTrip(alice, newContact());
    expect(requestsTo("+19005551234")).toEqual([]);
  });

  it(`refuses one user's ${DAY_LIMIT + 1}st message of the day in words, while another user sends`, async () => {
    const contact = newContact();
    // alice has used 3 of her day so far (the round trips above); use the rest, then one more.
    const sentBefore = messageRequests().filter((r) => r.form.From === "+15550001111").length;
    const ids: string[] = [];
    for (let i = sentBefore; i < DAY_LIMIT; i++)
      ids.push(await alice.sendMessage(`${contact}@${SMS}`, `n${i}`));
    await waitFor(() => requestsTo(contact).length >= ids.length, {
      timeoutMs: 120_000,
      intervalMs: 200,
      description: `${ids.length} messages at the stand-in`,
    });
    const last = await alice.sendMessage(`${contact}@${SMS}`, "one too many");
    const err = await alice.waitFor(errorOf(last), 15_000);
    expect(conditionOf(err)).toBe("policy-violation");
    expect(errorText(err)).toBe(
      "You have sent 1,000 messages today; the limit is 1,000 per day. Try again after 00:00 UTC.",
    );
    // bob, on the same gateway, is not affected.
    await roundTrip(bob, contact);
    expect(requestsTo(contact)).toHaveLength(ids.length + 1);
    expect(
      alice.received.filter((el) => el.attrs.type === "error" && ids.includes(el.attrs.id ?? "")),
    ).toEqual([]);
    const metrics = await (await fetch(`${gw.internalUrl}/metrics`)).text();
    expect(metrics).toMatch(/xgw_outbound_limited_total\{gateway="sms",limit="messages-per-day"\} 1/);
    expect(gw.logLines.join("")).toMatch(/"jid":"alice@localhost","limit":"messages-per-day"/);
    expect(gw.logLines.join("")).not.toContain("one too many");
  }, 180_000);

  it(`checks at most ${CHECKS} registrations of one user with the provider, then says when to try again`, async () => {
    const attempt = (authToken: string) =>
      carol.iq(
        xml(
          "iq",
          { type: "set", to: BYO },
          xml(
            "query",
            { xmlns: NS_REGISTER },
            xml(
              "x",
              { xmlns: "jabber:x:data", type: "submit" },
              ...Object.entries({ number: "+15550003333", accountSid: CAROL_SID, authToken }).map(([k, v]) =>
                xml("field", { var: k }, xml("value", {}, v)),
              ),
            ),
          ),
        ),
      );
    const checks = () => standIn.requests.filter((r) => r.path.endsWith("/IncomingPhoneNumbers.json")).length;
    const before = checks();
    for (let i = 0; i < CHECKS; i++) {
      const wrong = await attempt(`guess-${i}`);
      expect(wrong.attrs.type).toBe("error");
      expect(wrong.getChild("error")?.getChild("not-authorized", NS_STANZAS)).toBeDefined();
    }
    // The right token, but one attempt too many: refused before any request to Twilio.
    const refused = await attempt(CAROL_TOKEN);
    expect(refused.attrs.type).toBe("error");
    expect(refused.getChild("error")?.getChild("resource-constraint", NS_STANZAS)).toBeDefined();
    expect(refused.getChild("error")?.getChildText("text", NS_STANZAS)).toMatch(
      /^Too many registration attempts: at most 3 in 10 minutes\. Try again in [34] minutes\.$/,
    );
    expect(checks() - before).toBe(CHECKS);
    expect(standIn.validationFailures()).toEqual([]);
  });
});
