/**
 * Chaos: the gateway process is SIGKILLed while signed Twilio webhooks (inbound SMS) pour in, and
 * started again. Like Twilio, the poster retries a webhook until it is answered 200. Every webhook
 * answered 200 must reach the XMPP user exactly once (a redelivered webhook is deduplicated by its
 * MessageSid).
 */
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { describe, expect, it } from "vitest";
import { inboundJobId } from "../../../src/core/pipeline/jobs.js";
import { bullPrefix, toXmppQueueName } from "../../../src/queue/names.js";
import {
  ALICE_NUMBER,
  AUTH_TOKEN,
  COMPONENT,
  CONTACT,
  chaosConfig,
  GATEWAY_ID,
  pace,
  queuesDrained,
  reportCounts,
  spawnGateway,
  useChaosRig,
  writeConfigFile,
} from "../../harness/chaos.js";
import { freePort } from "../../harness/ports.js";
import { redisUrl } from "../../harness/redis.js";
import { signedTwilioPost } from "../../harness/twilio-standin.js";
import { waitFor } from "../../harness/wait.js";
import { type Element, xml } from "../../harness/xmpp-client.js";

const WEBHOOKS = 600;
const POSTERS = 10;
const KILL_AFTER_ANSWERED = 200;

describe("chaos: gateway SIGKILLed mid-run (inbound webhooks)", () => {
  const rig = useChaosRig("chaos-webhook-kill");

  it("delivers every webhook answered 200 exactly once", async () => {
    const { server, sink, redis, alice, gateways, prefix } = rig;
    const started = Date.now();
    const listen = `127.0.0.1:${await freePort()}`;
    const configFile = writeConfigFile(
      chaosConfig({
        redisUrl: redisUrl(),
        prefix,
        xmppService: server.componentService,
        sinkUrl: sink.url,
        httpListen: listen,
      }),
    );
    const first = spawnGateway(configFile);
    gateways.push(first);
    await first.waitForLine("component online");
    await first.waitForLine("webhook server listening");

    const url = `http://${listen}/webhooks/sms/message`;
    const hooks = Array.from({ length: WEBHOOKS }, (_, i) => ({
      body: `in-${i}`,
      sid: `SM${randomBytes(16).toString("hex")}`,
    }));
    const answered = new Set<string>();
    let attempts = 0;
    let refused = 0;
    let next = 0;
    const deadline = Date.now() + 60_000;
    const poster = async () => {
      for (let i = next++; i < hooks.length; i = next++) {
        const h = hooks[i];
        if (!h) break;
        for (;;) {
          if (Date.now() > deadline) throw new Error(`webhook ${h.body} never answered 200`);
          attempts++;
          const status = await signedTwilioPost(
            url,
            {
              MessageSid: h.sid,
              AccountSid: `AC${"0123456789abcdef".repeat(2)}`,
              From: CONTACT,
              To: ALICE_NUMBER,
              Body: h.body,
              NumMedia: "0",
            },
            AUTH_TOKEN,
          ).then(
            (r) => r.status,
            () => 0,
          );
          if (status === 200) {
            answered.add(h.body);
            break;
          }
          refused++;
          await pace(50); // Twilio's retry, compressed
        }
      }
    };
    const posting = Promise.all(Array.from({ length: POSTERS }, poster));

    await waitFor(() => answered.size >= KILL_AFTER_ANSWERED, {
      timeoutMs: 20_000,
      intervalMs: 5,
      description: `${KILL_AFTER_ANSWERED} webhooks answered`,
    });
    const answeredAtKill = answered.size;
    await first.kill();
    const second = spawnGateway(configFile);
    gateways.push(second);
    await posting;
    await second.waitForLine("component online");

    const isInbound = (el: Element) =>
      el.is("message") && el.attrs.type !== "error" && el.attrs.from === `${CONTACT}@${COMPONENT}/sms`;
    const distinct = () =>
      new Set(alice.received.filter(isInbound).map((el) => el.getChildText("body"))).size;
    // On a timeout the counts below still print, and the assertions name what is missing.
    await waitFor(() => distinct() >= WEBHOOKS, {
      timeoutMs: 20_000,
      intervalMs: 100,
      description: `all ${WEBHOOKS} messages at the client`,
    }).catch(() => undefined);
    await queuesDrained(redis, prefix);
    await alice.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })));

    // XEP-0114 has no acknowledgements: a delivery written to the socket just before the kill, but
    // not yet marked complete, is written again after the restart. It carries the same stanza id
    // (derived from the MessageSid), so a client that drops repeated ids shows it once; copies
    // with a different id would be real duplicates.
    const copies = new Map<string, number>();
    const ids = new Map<string, Set<string>>();
    for (const el of alice.received.filter(isInbound)) {
      const b = el.getChildText("body") ?? "";
      copies.set(b, (copies.get(b) ?? 0) + 1);
      const set = ids.get(b) ?? new Set<string>();
      set.add(el.attrs.id ?? "");
      ids.set(b, set);
    }
    let delivered = 0;
    let duplicates = 0;
    let rewrittenSameId = 0;
    const lost: string[] = [];
    for (const b of answered) {
      const n = copies.get(b) ?? 0;
      if (n === 0) lost.push(b);
      else delivered++;
      if ((ids.get(b)?.size ?? 0) > 1) duplicates += n - 1;
      else rewrittenSameId += Math.max(0, n - 1);
    }
    reportCounts("webhook-kill", {
      sent: WEBHOOKS,
      accepted: answered.size,
      answeredBeforeKill: answeredAtKill,
      delivered,
      duplicates,
      rewrittenSameId,
      lost: lost.length,
      postAttempts: attempts,
      refusedOrFailed: refused,
      ms: Date.now() - started,
    });
    const queue = new Queue(toXmppQueueName(GATEWAY_ID), { connection: redis, prefix: bullPrefix(prefix) });
    const states = await Promise.all(
      lost.map(async (b) => {
        const sid = hooks.find((h) => h.body === b)?.sid ?? "";
        return `${b}: ${await queue.getJobState(inboundJobId(sid))}`;
      }),
    );
    await queue.close();
    expect(states).toEqual([]);
    expect(answered.size).toBe(WEBHOOKS);
    expect(refused).toBeGreaterThan(0);
    expect(lost).toEqual([]);
    expect(duplicates).toBe(0);
    // Only deliveries in flight at the kill can be written twice (the worker's concurrency).
    expect(rewrittenSameId).toBeLessThanOrEqual(20);
    expect(second.lines.some((l) => l.includes("webhook server listening"))).toBe(true);
  }, 90_000);
});
