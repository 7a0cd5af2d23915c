/**
 * Chaos: the gateway process (the CLI, all roles) is SIGKILLed in the middle of 2,000 outbound
 * messages and started again. XEP-0114 has no acknowledgements: stanzas the server wrote to the
 * dead socket that the gateway never read (or read but had not enqueued yet) vanish; they are
 * counted as "lost on the wire", and reported with the rate offered before the kill (about 1,000
 * messages/s) as the wire window in milliseconds. Every message the gateway had accepted (its job exists in Redis)
 * must reach the provider exactly once; a message whose provider request was in flight at the kill
 * is not resent (it could arrive twice) and its sender is told so ("uncertain").
 *
 * The kill comes twice, each time in a rig of its own: 0.4 s into the run, while the process is
 * still cold (its code not yet compiled by the JIT, its turns long), and 3 s in, once it is warm.
 * The lost are split into those the client wrote before the kill (the gateway's own window: read
 * but not yet enqueued, or not yet read) and after it (the server routed them into the dead socket
 * before it noticed). The gateway's own time from a stanza read to its job acknowledged in Redis is
 * read from its /metrics over the second half of the run before the kill
 * (xgw_outbound_intake_seconds, as bucket bounds: "at most").
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { outboundJobId } from "../../../src/core/pipeline/jobs.js";
import { outboundQueueName } from "../../../src/queue/names.js";
import {
  COMPONENT,
  CONTACT,
  chaosConfig,
  describeFailed,
  existingJobs,
  GATEWAY_ID,
  pace,
  queuesDrained,
  reportCounts,
  spawnGateway,
  useChaosRig,
  writeConfigFile,
} from "../../harness/chaos.js";
import { bucketsSince, histogramBuckets, quantileBound } from "../../harness/histogram.js";
import { freePort } from "../../harness/ports.js";
import { redisUrl } from "../../harness/redis.js";
import { waitFor } from "../../harness/wait.js";
import { type Element, xml } from "../../harness/xmpp-client.js";

const MESSAGES = 2000;
/** The sender's bound, however slow the gateway is. */
const MAX_MESSAGES = 10_000;
const BATCH = 10;
/** Messages sent once the second process is online, at the least. */
const AFTER_RESTART = 200;
const BATCH_EVERY_MS = 10; // 1,000 messages/s, the rate issue 14 states the wire window at
/** When the kill comes: messages at the provider by then. */
const KILLS = [
  { when: "just after it started", name: "gateway-kill", killAfterDelivered: 400 },
  { when: "once it is warm", name: "gateway-kill-warm", killAfterDelivered: 3_000 },
] as const;

/** A process's resident memory in MB (VmRSS), or -1 when it cannot be read. */
function residentMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? -1 : Math.round(Number(kb) / 1024);
  } catch {
    return -1;
  }
}

const errorText = (el: Element) =>
  el.getChild("error")?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas") ?? "";

describe.each(KILLS)("chaos: gateway SIGKILLed mid-run (outbound), $when", ({ name, killAfterDelivered }) => {
  const rig = useChaosRig("chaos-gw-kill");
  const intakeBuckets = async (listen: string) =>
    histogramBuckets(
      await (await fetch(`http://${listen}/metrics`)).text(),
      "xgw_outbound_intake_seconds",
      `gateway="${GATEWAY_ID}"`,
    );

  it("delivers every accepted message exactly once and counts those lost on the wire", async () => {
    const { server, sink, redis, alice, gateways, prefix } = rig;
    const started = Date.now();
    const internalListen = `127.0.0.1:${await freePort()}`;
    const configFile = writeConfigFile(
      chaosConfig({
        redisUrl: redisUrl(),
        prefix,
        xmppService: server.componentService,
        sinkUrl: sink.url,
        httpListen: `127.0.0.1:${await freePort()}`,
        internalListen,
      }),
    );
    const first = spawnGateway(configFile);
    gateways.push(first);
    await first.waitForLine("component online");

    const to = `${CONTACT}@${COMPONENT}`;
    const sent: { id: string; body: string; at: number }[] = [];
    let sending = true;
    let killed = false;
    let killedAt = 0;
    /** Messages sent when the second process came online. */
    let onlineAt: number | undefined;
    const sendStart = Date.now();
    const sender = (async () => {
      // At least MESSAGES, and on until the kill (on a slow or busy machine the gateway may not
      // have sent killAfterDelivered by then), then MESSAGES / 2 more, and on until the second
      // process is online and has been sent AFTER_RESTART of its own.
      let stopAt = MESSAGES;
      for (let i = 0; i < stopAt; i += BATCH) {
        const more = !killed || onlineAt === undefined;
        if (more && i + BATCH >= stopAt && stopAt < MAX_MESSAGES) stopAt += BATCH;
        if (killed && stopAt < killedAt + MESSAGES / 2)
          stopAt = Math.min(MAX_MESSAGES, killedAt + MESSAGES / 2);
        if (onlineAt !== undefined)
          stopAt = Math.max(stopAt, Math.min(MAX_MESSAGES, onlineAt + AFTER_RESTART));
        for (let j = i; j < Math.min(stopAt, i + BATCH); j++) {
          const body = `kill-${j}`;
          const id = await alice.sendMessage(to, body, { id: `kill-${prefix}-${j}` });
          sent.push({ id, body, at: Date.now() });
        }
        // On a fixed clock (batch k at k * BATCH_EVERY_MS), so the time spent writing a batch does
        // not slow the rate offered.
        await pace(Math.max(0, sendStart + ((i + BATCH) / BATCH) * BATCH_EVERY_MS - Date.now()));
      }
      sending = false;
    })();

    const atProvider = (n: number) =>
      waitFor(() => sink.accepted.size >= n, {
        timeoutMs: 20_000,
        intervalMs: 5,
        description: `${n} messages at the provider`,
      });
    await atProvider(killAfterDelivered / 2);
    const intakeBefore = await intakeBuckets(internalListen);
    await atProvider(killAfterDelivered);
    expect(sending).toBe(true);
    const intake = bucketsSince(intakeBefore, await intakeBuckets(internalListen));
    const rssAtKillMb = residentMb(first.proc.pid);
    const sentAtKill = sent.length;
    const killTime = Date.now();
    killedAt = sentAtKill;
    killed = true;
    await first.kill();
    const second = spawnGateway(configFile);
    gateways.push(second);
    await second.waitForLine("component online");
    onlineAt = sent.length;
    await sender;

    // A marker after everything: once it is at the provider, the new process has read every stanza
    // the server routed to it before; then wait for the queues to drain and for the server to
    // have flushed every bounce to the client (an iq round trip after them).
    await alice.sendMessage(to, "kill-marker", { id: `kill-${prefix}-marker` });
    await waitFor(() => sink.accepted.has("kill-marker"), {
      timeoutMs: 20_000,
      description: "the marker at the provider",
    });
    await queuesDrained(redis, prefix);
    await alice.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })));

    const jobIds = new Map(sent.map((s) => [outboundJobId("alice@localhost", s.id), s]));
    const accepted = await existingJobs(redis, prefix, outboundQueueName(GATEWAY_ID), [...jobIds.keys()]);
    const errors = new Map<string, Element>();
    for (const el of alice.received) {
      if (el.is("message") && el.attrs.type === "error" && el.attrs.id) errors.set(el.attrs.id, el);
    }
    let deliveredOnce = 0;
    let duplicates = 0;
    let uncertain = 0;
    let bounced = 0;
    let lostOnWire = 0;
    // Of those, the ones the client had written before the kill: the rest were routed by the server
    // into the dead socket before it noticed the process was gone.
    let lostSentBeforeKill = 0;
    let unexpected = 0;
    const lost: string[] = [];
    for (const [jobId, s] of jobIds) {
      const n = sink.accepted.get(s.body) ?? 0;
      const err = errors.get(s.id);
      if (accepted.has(jobId)) {
        if (n > 0) deliveredOnce++;
        else if (err && /may or may not have been delivered/.test(errorText(err))) uncertain++;
        else lost.push(s.body);
        duplicates += Math.max(0, n - 1);
      } else {
        if (n > 0) unexpected++;
        if (err) bounced++;
        else {
          lostOnWire++;
          if (s.at <= killTime) lostSentBeforeKill++;
        }
      }
    }
    const bounceConditions = new Set(
      [...errors.values()].map((el) => el.getChild("error")?.getChildElements()[0]?.name),
    );
    // The wire window: what was lost on the wire at the rate offered in the second before the kill
    // (or since the sending began, when the kill came sooner: counting a whole second then
    // halved the rate and doubled the window on a fast machine).
    const span = Math.max(1, Math.min(1000, killTime - sendStart));
    const offeredPerSecond = Math.round(
      (1000 * sent.filter((s) => s.at > killTime - span && s.at <= killTime).length) / span,
    );
    reportCounts(name, {
      sent: sent.length,
      sentBeforeKill: sentAtKill,
      accepted: accepted.size,
      delivered: deliveredOnce,
      duplicates,
      lost: lost.length,
      uncertainNotified: uncertain,
      bouncedByServer: bounced,
      lostOnWire,
      lostSentBeforeKill,
      offeredPerSecond,
      wireWindowMs: Math.round((1000 * lostOnWire) / Math.max(1, offeredPerSecond)),
      // The gateway's own time from a stanza read to its job acknowledged, at most this.
      intakeMedianMs: 1000 * quantileBound(intake, 0.5),
      intakeP99Ms: 1000 * quantileBound(intake, 0.99),
      // The kernel unmaps a killed process's memory before it closes its sockets; meanwhile the
      // server still writes into them (about 0.1 ms per MB here).
      rssAtKillMb,
      ms: Date.now() - started,
    });
    expect(lost, await describeFailed(redis, prefix, outboundQueueName(GATEWAY_ID))).toEqual([]);
    expect(duplicates).toBe(0);
    expect(unexpected).toBe(0);
    // The reading covers messages the gateway took in (how many depends on the machine's load).
    expect(intake.total).toBeGreaterThan(0);
    // The kill really was in the middle: some accepted by each process, some bounced in between.
    expect(accepted.size).toBeGreaterThan(killAfterDelivered);
    expect(accepted.size).toBeLessThan(sent.length);
    expect(bounced).toBeGreaterThan(0);
    expect(second.lines.some((l) => l.includes('"msg":"message sent"'))).toBe(true);
    expect(
      [...bounceConditions].every((c) => c === "remote-server-timeout" || c === "service-unavailable"),
    ).toBe(true);
    expect(deliveredOnce + uncertain).toBe(accepted.size);
  }, 90_000);
});
