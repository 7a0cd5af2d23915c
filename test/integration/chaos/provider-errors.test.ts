/**
 * Chaos: the provider answers 429 with Retry-After, then 500, for a stretch, then recovers. Every
 * accepted message reaches it exactly once, the Retry-After is honoured, and no sender is told of
 * a failure (the stretch is shorter than the attempts allow).
 */
import { describe, expect, it } from "vitest";
import { outboundJobId } from "../../../src/core/pipeline/jobs.js";
import { outboundQueueName } from "../../../src/queue/names.js";
import {
  COMPONENT,
  CONTACT,
  existingJobs,
  GATEWAY_ID,
  queuesDrained,
  reportCounts,
  tally,
  useChaosRig,
} from "../../harness/chaos.js";
import { waitFor } from "../../harness/wait.js";

const MESSAGES = 300;
const TOO_MANY = 150;
const SERVER_ERRORS = 150;
const RETRY_AFTER_S = 1;

describe("chaos: provider answers 429 and 500 for a stretch", () => {
  const rig = useChaosRig("chaos-provider", { gateway: true });

  it("delivers every message exactly once after the stretch, honouring Retry-After", async () => {
    const { sink, redis, alice, prefix } = rig;
    const started = Date.now();
    let tooMany = 0;
    let serverErrors = 0;
    sink.answer = () => {
      if (tooMany < TOO_MANY) {
        tooMany++;
        return { status: 429, retryAfterSeconds: RETRY_AFTER_S };
      }
      if (serverErrors < SERVER_ERRORS) {
        serverErrors++;
        return { status: 500 };
      }
      return { status: 201 };
    };
    const bodies = Array.from({ length: MESSAGES }, (_, i) => `provider-${prefix}-${i}`);
    const ids: string[] = [];
    for (const b of bodies) ids.push(await alice.sendMessage(`${CONTACT}@${COMPONENT}`, b));

    await waitFor(() => tally(bodies, sink.accepted).delivered === MESSAGES, {
      timeoutMs: 40_000,
      intervalMs: 100,
      description: `all ${MESSAGES} messages to be accepted by the provider`,
    });
    await queuesDrained(redis, prefix);

    const jobIds = ids.map((id) => outboundJobId("alice@localhost", id));
    const accepted = await existingJobs(redis, prefix, outboundQueueName(GATEWAY_ID), jobIds);
    const t = tally(bodies, sink.accepted);
    // Every retry after a 429 came at least Retry-After later.
    const early: string[] = [];
    const last = new Map<string, { at: number; status: number }>();
    for (const a of sink.arrivals) {
      const prev = last.get(a.body);
      if (prev?.status === 429 && a.at - prev.at < RETRY_AFTER_S * 1000 - 50) {
        early.push(`${a.body} after ${a.at - prev.at} ms`);
      }
      last.set(a.body, a);
    }
    reportCounts("provider-429-500", {
      sent: MESSAGES,
      accepted: accepted.size,
      delivered: t.delivered,
      duplicates: t.duplicates,
      lost: accepted.size - t.delivered,
      answered429: tooMany,
      answered500: serverErrors,
      providerRequests: sink.arrivals.length,
      ms: Date.now() - started,
    });
    expect(tooMany).toBe(TOO_MANY);
    expect(serverErrors).toBe(SERVER_ERRORS);
    expect(accepted.size).toBe(MESSAGES);
    expect(t.missing).toEqual([]);
    expect(t.duplicates).toBe(0);
    expect(early).toEqual([]);
    expect(alice.received.filter((el) => el.attrs.type === "error").map(String)).toEqual([]);
  }, 60_000);
});
