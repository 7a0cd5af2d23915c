/** The intake stops reading from the server while too many messages are being enqueued, and loses none. */
import { xml } from "@xmpp/component";
import { describe, expect, it } from "vitest";
import type { OutboundJob } from "../../../src/core/pipeline/jobs.js";
import type { EnqueueOutcome } from "../../../src/core/ports.js";
import type { Producer } from "../../../src/queue/producer.js";
import { outboundIntake } from "../../../src/xmpp/outbound-intake.js";
import { FakeTransport } from "../../harness/fake-transport.js";
import { MemoryRegistrationStore } from "../../harness/memory-registrations.js";
import { silentLogger } from "../../harness/silent-logger.js";
import { DEFAULT_RULES, DOMAIN, fakeAdapter } from "./setup.js";

/** Holds every enqueue until released, like a Redis that has stopped answering. */
class SlowProducer {
  readonly jobs: OutboundJob[] = [];
  private readonly waiting: (() => void)[] = [];
  enqueueOutbound(job: OutboundJob): Promise<EnqueueOutcome> {
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.jobs.push(job);
        resolve("enqueued");
      }),
    );
  }
  release(n: number): void {
    for (const go of this.waiting.splice(0, n)) go();
  }
}

describe("intake backpressure", () => {
  it("holds incoming stanzas at maxInFlight, reads again at half, and enqueues every message", async () => {
    const transport = new FakeTransport(DOMAIN);
    transport.goOnline();
    const registrations = new MemoryRegistrationStore();
    await registrations.put("sms", { jid: "alice@example.org", address: "+15550001111", source: "config" });
    const producer = new SlowProducer();
    const onMessage = outboundIntake({
      gatewayId: "sms",
      transport,
      adapter: fakeAdapter(),
      registrations,
      allowedDomains: new Set(["example.org"]),
      logger: silentLogger,
      producer: producer as unknown as Producer,
      rules: DEFAULT_RULES,
      maxInFlight: 10,
    });
    const message = (i: number) =>
      xml(
        "message",
        { from: "alice@example.org/phone", to: `+15557654321@${DOMAIN}`, id: `m${i}`, type: "chat" },
        xml("body", {}, `hello ${i}`),
      );
    const handled = Array.from({ length: 12 }, (_, i) => onMessage(message(i)));
    // Let the handlers reach the (stalled) producer.
    await new Promise((r) => setImmediate(r));
    expect(transport.holds).toEqual([true]);

    producer.release(6); // 12 -> 6 in flight: above half of 10, still held
    await new Promise((r) => setImmediate(r));
    expect(transport.holds).toEqual([true]);

    producer.release(1); // 5 in flight: read again
    await new Promise((r) => setImmediate(r));
    expect(transport.holds).toEqual([true, false]);

    producer.release(5);
    await Promise.all(handled);
    expect(producer.jobs.map((j) => j.stanzaId).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `m${i}`).sort(),
    );
    expect(transport.sent).toEqual([]); // nothing refused
  });
});
