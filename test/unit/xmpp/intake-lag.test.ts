/** The intake tells its lag how long each stanza took from its read to the enqueue's answer. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { IntakeLag } from "../../../src/core/intake-lag.js";
import { aliceMessage, HeldProducer, intakeRig } from "./intake-rig.js";

describe("the intake's lag", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("is behind after an enqueue answered late and caught up after one answered at once", async () => {
    let clock = 0;
    vi.spyOn(performance, "now").mockImplementation(() => clock);
    const producer = new HeldProducer();
    const lag = new IntakeLag({ lagMs: 20 });
    const { onMessage } = await intakeRig(producer, { lag });
    const until = async (n: number) => {
      for (let turns = 0; producer.jobs.length + producer.waiting.length < n && turns < 100; turns++) {
        await new Promise((r) => setImmediate(r));
      }
    };

    const slow = onMessage(aliceMessage("m1"));
    await until(1); // the stanza waits for Redis's answer
    clock = 30;
    producer.release();
    await slow;
    expect(lag.behind).toBe(true);

    const fast = onMessage(aliceMessage("m2"));
    await until(2);
    clock = 31;
    producer.release();
    await fast;
    expect(lag.behind).toBe(false);
    expect(producer.jobs.map((j) => j.stanzaId)).toEqual(["m1", "m2"]);
  });
});
