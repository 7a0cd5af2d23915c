/**
 * Chaos: the gateway's Redis (AOF, appendfsync always) is killed and restarted in the middle of a
 * run of outbound messages and inbound webhooks. Every outbound message is either accepted (its
 * job survived in Redis) and reaches the provider exactly once, or its sender gets an error stanza;
 * every webhook answered 200 reaches the user exactly once (the poster retries like Twilio).
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
  describeJobs,
  existingJobs,
  GATEWAY_ID,
  pace,
  queuesDrained,
  reportCounts,
  useChaosRig,
} from "../../harness/chaos.js";
import { signedTwilioPost } from "../../harness/twilio-standin.js";
import { waitFor } from "../../harness/wait.js";
import { type Element, xml } from "../../harness/xmpp-client.js";

const OUTBOUND = 600;
const BATCH = 10;
const BATCH_EVERY_MS = 30;
const WEBHOOKS = 200;
const RESTART_AFTER_DELIVERED = 150;

/** Which answer an error stanza is: the intake's refusal or "could not confirm", or the worker's. */
function errorKind(el: Element): "refused" | "unconfirmed" | "uncertain-send" | "other" {
  const text = el.getChild("error")?.getChildText("text") ?? "";
  if (/send it again later/.test(text)) return "refused";
  if (/could not confirm/.test(text)) return "unconfirmed";
  if (/may or may not have been delivered/.test(text)) return "uncertain-send";
  return "other";
}

describe("chaos: Redis restarted mid-run (AOF, appendfsync always)", () => {
  const rig = useChaosRig("chaos-redis-restart", { ownRedis: { appendOnly: true }, gateway: true });

  it("loses and duplicates nothing it accepted, and refuses the rest with an error", async () => {
    const { sink, ownRedis, redis, alice, prefix, listen } = rig;
    const started = Date.now();
    const to = `${CONTACT}@${COMPONENT}`;
    const sent: { id: string; body: string }[] = [];
    const sender = (async () => {
      for (let i = 0; i < OUTBOUND; i += BATCH) {
        for (let j = i; j < i + BATCH; j++) {
          const body = `out-${j}`;
          sent.push({ id: await alice.sendMessage(to, body, { id: `rr-${prefix}-${j}` }), body });
        }
        await pace(BATCH_EVERY_MS);
      }
    })();
    const url = `http://${listen}/webhooks/sms/message`;
    const answered = new Set<string>();
    let webhookRetries = 0;
    const poster = (async () => {
      for (let i = 0; i < WEBHOOKS; i++) {
        const params = {
          MessageSid: `SM${randomBytes(16).toString("hex")}`,
          AccountSid: ACCOUNT_SID,
          From: CONTACT,
          To: ALICE_NUMBER,
          Body: `in-${i}`,
          NumMedia: "0",
        };
        for (let attempt = 0; ; attempt++) {
          if (attempt > 200) throw new Error(`webhook in-${i} never answered 200`);
          const status = await signedTwilioPost(url, params, AUTH_TOKEN).then(
            (r) => r.status,
            () => 0,
          );
          if (status === 200) break;
          webhookRetries++;
          await pace(50);
        }
        answered.add(`in-${i}`);
        await pace(10);
      }
    })();

    await waitFor(() => sink.accepted.size >= RESTART_AFTER_DELIVERED, {
      timeoutMs: 20_000,
      intervalMs: 5,
      description: `${RESTART_AFTER_DELIVERED} messages at the provider`,
    });
    await ownRedis.kill();
    const downAt = Date.now();
    // Down long enough for the gateway to give up on a command and refuse a message (an intake
    // refusal: other errors, such as a stalled job's uncertain part, do not count). Alice keeps
    // writing meanwhile: under load the sender may be done before Redis goes down.
    const errorsBefore = alice.received.length;
    let whileDown = 0;
    await waitFor(
      async () => {
        const body = `down-${whileDown++}`;
        sent.push({ id: await alice.sendMessage(to, body, { id: `rr-${prefix}-${body}` }), body });
        return alice.received.slice(errorsBefore).some((el) => errorKind(el) === "refused");
      },
      {
        timeoutMs: 10_000,
        intervalMs: 50,
        description: "the gateway to refuse a message while Redis is down",
      },
    );
    await ownRedis.start();
    const downMs = Date.now() - downAt;
    await Promise.all([sender, poster]);

    await alice.sendMessage(to, "rr-marker", { id: `rr-${prefix}-marker` });
    await waitFor(() => sink.accepted.has("rr-marker"), { timeoutMs: 20_000, description: "the marker" });
    const isInbound = (el: Element) =>
      el.is("message") && el.attrs.type !== "error" && el.attrs.from === `${CONTACT}@${COMPONENT}/sms`;
    const inboundBodies = () =>
      new Set(alice.received.filter(isInbound).map((el) => el.getChildText("body")));
    await waitFor(() => inboundBodies().size >= answered.size, {
      timeoutMs: 20_000,
      intervalMs: 100,
      description: "every answered webhook at the client",
    }).catch(() => undefined);
    await queuesDrained(redis, prefix);
    await alice.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })));

    // Outbound.
    const jobIds = new Map(sent.map((s) => [outboundJobId("alice@localhost", s.id), s]));
    const accepted = await existingJobs(redis, prefix, outboundQueueName(GATEWAY_ID), [...jobIds.keys()]);
    const errors = new Map<string, Element>();
    for (const el of alice.received) {
      if (el.is("message") && el.attrs.type === "error" && el.attrs.id) errors.set(el.attrs.id, el);
    }
    let delivered = 0;
    let duplicates = 0;
    let refused = 0;
    let acceptedAndRefused = 0;
    let acceptedButUnconfirmed = 0;
    let uncertainSends = 0;
    const lost: string[] = [];
    const unanswered: string[] = [];
    const unexpected: string[] = [];
    for (const [jobId, s] of jobIds) {
      const n = sink.accepted.get(s.body) ?? 0;
      duplicates += Math.max(0, n - 1);
      if (accepted.has(jobId)) {
        if (n > 0) delivered++;
        else lost.push(s.body);
        const error = errors.get(s.id);
        // Refused at intake although the job got in (Redis stored it, the answer was lost).
        if (error && errorKind(error) === "refused") acceptedAndRefused++;
        // Told the gateway could not confirm it (Redis silent for all of enqueueConfirmMs).
        if (error && errorKind(error) === "unconfirmed") acceptedButUnconfirmed++;
        // The worker's "may or may not have been delivered": a part in flight when its job
        // stalled (a lock lost while the event loop or Redis was held up), not an intake answer.
        if (error && errorKind(error) === "uncertain-send") uncertainSends++;
      } else {
        if (n > 0) unexpected.push(s.body);
        if (errors.has(s.id)) refused++;
        else unanswered.push(s.body);
      }
    }
    // Inbound. As in webhook-kill: a delivery the server confirmed whose completion Redis lost
    // (it was down) is written again by the retry with the same stanza id, so a client that drops
    // repeated ids shows it once; a copy under another id would be a real duplicate.
    const copies = new Map<string, number>();
    const ids = new Map<string, Set<string>>();
    for (const el of alice.received.filter(isInbound)) {
      const b = el.getChildText("body") ?? "";
      copies.set(b, (copies.get(b) ?? 0) + 1);
      ids.set(b, (ids.get(b) ?? new Set<string>()).add(el.attrs.id ?? ""));
    }
    let inDelivered = 0;
    let inDuplicates = 0;
    let inRewrittenSameId = 0;
    for (const b of answered) {
      const n = copies.get(b) ?? 0;
      if (n > 0) inDelivered++;
      if ((ids.get(b)?.size ?? 0) > 1) inDuplicates += n - 1;
      else inRewrittenSameId += Math.max(0, n - 1);
    }
    reportCounts("redis-restart outbound", {
      sent: sent.length,
      accepted: accepted.size,
      delivered,
      duplicates,
      lost: lost.length,
      refusedWithError: refused,
      acceptedButAlsoRefused: acceptedAndRefused,
      acceptedButUnconfirmed,
      uncertainSends,
      unanswered: unanswered.length,
      sentWhileDown: whileDown,
      redisDownMs: downMs,
    });
    reportCounts("redis-restart inbound", {
      sent: WEBHOOKS,
      accepted: answered.size,
      delivered: inDelivered,
      duplicates: inDuplicates,
      rewrittenSameId: inRewrittenSameId,
      lost: answered.size - inDelivered,
      webhookRetries,
      ms: Date.now() - started,
    });
    if (lost.length > 0) {
      const ids = [...jobIds].filter(([, s]) => lost.includes(s.body)).map(([id]) => id);
      process.stdout.write(
        `LOST JOBS\n${await describeJobs(redis, prefix, outboundQueueName(GATEWAY_ID), ids)}\n`,
      );
    }
    expect(lost).toEqual([]);
    expect(unanswered).toEqual([]);
    expect(unexpected).toEqual([]);
    expect(duplicates).toBe(0);
    // Told "send it again later" although the job got in: a resend would arrive twice.
    expect(acceptedAndRefused).toBe(0);
    expect(acceptedButUnconfirmed).toBe(0);
    expect(refused).toBeGreaterThan(0);
    expect(accepted.size).toBeGreaterThan(RESTART_AFTER_DELIVERED);
    expect(answered.size).toBe(WEBHOOKS);
    expect(inDelivered).toBe(WEBHOOKS);
    expect(inDuplicates).toBe(0);
    // Only deliveries in flight while Redis was down can be written twice (the worker's concurrency).
    expect(inRewrittenSameId).toBeLessThanOrEqual(20);
  }, 90_000);
});
