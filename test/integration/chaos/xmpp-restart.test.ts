/**
 * Chaos: the XMPP server (Prosody) is restarted in the middle of a run. Outbound messages accepted
 * before the stop reach the provider exactly once; webhooks answered while the server is down wait
 * in the queue and reach the user exactly once after it is back; messages the user sends while the
 * component is still away get the server's own bounce (the gateway's link goes through a proxy that
 * refuses it for a while after the restart, so that window is certain).
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { outboundJobId } from "../../../src/core/pipeline/jobs.js";
import { outboundQueueName } from "../../../src/queue/names.js";
import {
  ACCOUNT_SID,
  ALICE_NUMBER,
  AUTH_TOKEN,
  COMPONENT,
  CONTACT,
  existingJobs,
  GATEWAY_ID,
  pace,
  queuesDrained,
  reportCounts,
  tally,
  useChaosRig,
} from "../../harness/chaos.js";
import { signedTwilioPost } from "../../harness/twilio-standin.js";
import { waitFor, withTimeout } from "../../harness/wait.js";
import { connectClient, type Element, type TestClient, xml } from "../../harness/xmpp-client.js";

const BEFORE = 300;
const WHILE_AWAY = 50;
const AFTER = 100;
const WEBHOOKS_WHILE_DOWN = 100;

describe("chaos: XMPP server restarted mid-run", () => {
  const rig = useChaosRig("chaos-xmpp-restart", { proxy: true, gateway: true, alice: false });

  it("delivers everything accepted exactly once; the server bounces what comes while the component is away", async () => {
    const { server, sink, proxy, redis, gw, clients, prefix, listen } = rig;
    const started = Date.now();
    const transport = gw.gateway.transports.get(GATEWAY_ID);
    if (!transport) throw new Error("no transport");
    const to = `${CONTACT}@${COMPONENT}`;
    const login = async () => {
      const c = await connectClient({ server, username: "alice", password: "alice-pw" });
      clients.push(c);
      return c;
    };
    const sent: { id: string; body: string; phase: "before" | "away" | "after" }[] = [];
    const send = async (c: TestClient, phase: "before" | "away" | "after", n: number) => {
      for (let i = 0; i < n; i++) {
        const body = `${phase}-${i}`;
        sent.push({ id: await c.sendMessage(to, body, { id: `xr-${prefix}-${body}` }), body, phase });
        if (i % 10 === 9) await pace(10);
      }
    };

    // Phase 1: the server stops while the user's messages are still flowing in.
    const first = await login();
    const sending = send(first, "before", BEFORE).catch(() => undefined); // the stop cuts it short
    await waitFor(() => sink.accepted.size >= 50, {
      timeoutMs: 20_000,
      intervalMs: 5,
      description: "50 at the provider",
    });
    proxy.refuse();
    const offline = new Promise<void>((resolve) => transport.once("offline", () => resolve()));
    await server.stop();
    await sending;
    await withTimeout(offline, 10_000, "the component to notice the server is gone");

    // Phase 2: webhooks while the server is down are answered 200 and wait in the queue.
    const url = `http://${listen}/webhooks/sms/message`;
    const answered: string[] = [];
    for (let i = 0; i < WEBHOOKS_WHILE_DOWN; i++) {
      const r = await signedTwilioPost(
        url,
        {
          MessageSid: `SM${randomBytes(16).toString("hex")}`,
          AccountSid: ACCOUNT_SID,
          From: CONTACT,
          To: ALICE_NUMBER,
          Body: `in-${i}`,
          NumMedia: "0",
        },
        AUTH_TOKEN,
      );
      if (r.status === 200) answered.push(`in-${i}`);
    }

    // Phase 3: the server is back, the component not yet: the server bounces the user's messages.
    await server.start();
    const second = await login();
    await send(second, "away", WHILE_AWAY);
    const awayIds = new Set(sent.filter((s) => s.phase === "away").map((s) => s.id));
    await second.waitForCount(
      (el) => el.attrs.type === "error" && awayIds.has(el.attrs.id ?? ""),
      WHILE_AWAY,
      10_000,
    );

    // Phase 4: the component reconnects; deliveries held in Redis go out, new messages are sent.
    proxy.accept();
    await gw.online(15_000);
    await send(second, "after", AFTER);
    const afterBodies = sent.filter((s) => s.phase === "after").map((s) => s.body);
    await waitFor(() => tally(afterBodies, sink.accepted).delivered === AFTER, {
      timeoutMs: 20_000,
      description: "the messages sent after the reconnect at the provider",
    });
    const isInbound = (el: Element) =>
      el.is("message") && el.attrs.type !== "error" && el.attrs.from === `${CONTACT}@${COMPONENT}/sms`;
    await second.waitForCount(isInbound, answered.length, 20_000).catch(() => undefined); // counted and asserted below
    await queuesDrained(redis, prefix);
    await second.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })));

    const jobIds = new Map(sent.map((s) => [outboundJobId("alice@localhost", s.id), s]));
    const accepted = await existingJobs(redis, prefix, outboundQueueName(GATEWAY_ID), [...jobIds.keys()]);
    const acceptedBodies = sent
      .filter((s) => accepted.has(outboundJobId("alice@localhost", s.id)))
      .map((s) => s.body);
    const out = tally(acceptedBodies, sink.accepted);
    const notAccepted = sent.filter((s) => !accepted.has(outboundJobId("alice@localhost", s.id)));
    const errorIds = new Set(
      [...first.received, ...second.received]
        .filter((el) => el.attrs.type === "error")
        .map((el) => el.attrs.id),
    );
    const bounced = notAccepted.filter((s) => errorIds.has(s.id)).length;
    const copies = new Map<string, number>();
    for (const el of [...first.received, ...second.received].filter(isInbound)) {
      const b = el.getChildText("body") ?? "";
      copies.set(b, (copies.get(b) ?? 0) + 1);
    }
    const inbound = tally(answered, copies);
    reportCounts("xmpp-restart outbound", {
      sent: sent.length,
      accepted: accepted.size,
      delivered: out.delivered,
      duplicates: out.duplicates,
      lost: out.missing.length,
      bouncedByServer: bounced,
      lostInServer: notAccepted.length - bounced,
    });
    reportCounts("xmpp-restart inbound", {
      sent: WEBHOOKS_WHILE_DOWN,
      accepted: answered.length,
      delivered: inbound.delivered,
      duplicates: inbound.duplicates,
      lost: inbound.missing.length,
      ms: Date.now() - started,
    });
    expect(out.missing).toEqual([]);
    expect(out.duplicates).toBe(0);
    expect(
      sent.filter(
        (s) =>
          s.phase !== "away" &&
          sink.accepted.has(s.body) &&
          !accepted.has(outboundJobId("alice@localhost", s.id)),
      ),
    ).toEqual([]);
    expect(sent.filter((s) => s.phase === "away" && sink.accepted.has(s.body))).toEqual([]);
    expect(bounced).toBeGreaterThanOrEqual(WHILE_AWAY);
    expect(answered.length).toBe(WEBHOOKS_WHILE_DOWN);
    expect(inbound.missing).toEqual([]);
    expect(inbound.duplicates).toBe(0);
  }, 90_000);
});
