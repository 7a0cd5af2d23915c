/** The intake stops reading from the server while too many messages are being enqueued, and loses none. */
import { describe, expect, it } from "vitest";
import { aliceMessage, HeldProducer, intakeRig } from "./intake-rig.js";

describe("intake backpressure", () => {
  it("holds incoming stanzas at maxInFlight, reads again at half, and enqueues every message", async () => {
    const producer = new HeldProducer();
    const { transport, onMessage } = await intakeRig(producer, { maxInFlight: 10 });
    const handled = Array.from({ length: 12 }, (_, i) => onMessage(aliceMessage(`m${i}`, `hello ${i}`)));
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
