import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UnconfirmedError, WriteBarrier } from "../../src/xmpp/write-barrier.js";

function rig(options: { held?: () => boolean; writeFails?: boolean } = {}) {
  const pings: string[] = [];
  const timeouts: number[] = [];
  const barrier = new WriteBarrier({
    writePing: async (id) => {
      if (options.writeFails) throw new Error("socket gone");
      pings.push(id);
    },
    timeoutMs: 1000,
    readingHeld: options.held ?? (() => false),
    onTimeout: (ms) => timeouts.push(ms),
  });
  return { barrier, pings, timeouts };
}

/** Settled state of a promise, without waiting for it. */
async function state(p: Promise<void>): Promise<"pending" | "resolved" | string> {
  let s: string = "pending";
  p.then(
    () => {
      s = "resolved";
    },
    (err: Error) => {
      s = err.name;
    },
  );
  await vi.advanceTimersByTimeAsync(0);
  return s;
}

describe("WriteBarrier", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("writes one ping per turn of tracked writes, none for a turn without any", async () => {
    const { barrier, pings } = rig();
    barrier.flush();
    expect(pings).toHaveLength(0);
    const a = barrier.track();
    const b = barrier.track();
    barrier.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(pings).toHaveLength(1);
    expect(await state(a)).toBe("pending");
    expect(await state(b)).toBe("pending");
  });

  it("confirms every write before a ping when that ping is answered, earlier turns included", async () => {
    const { barrier, pings } = rig();
    const first = barrier.track();
    barrier.flush();
    const second = barrier.track();
    barrier.flush();
    const third = barrier.track();
    barrier.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(barrier.answered(pings[1])).toBe(true);
    expect(await state(first)).toBe("resolved");
    expect(await state(second)).toBe("resolved");
    expect(await state(third)).toBe("pending");
    expect(barrier.answered(pings[1])).toBe(false); // once
    expect(barrier.answered("barrier-forged")).toBe(false);
    expect(barrier.answered(undefined)).toBe(false);
  });

  it("uses unguessable ping ids", async () => {
    const { barrier, pings } = rig();
    for (let i = 0; i < 50; i++) {
      void barrier.track();
      barrier.flush();
    }
    await vi.advanceTimersByTimeAsync(0);
    expect(new Set(pings).size).toBe(50);
    for (const id of pings) expect(id).toMatch(/^barrier-[A-Za-z0-9_-]{12}$/);
  });

  it("rejects every unconfirmed write, pinged or not, when the stream fails", async () => {
    const { barrier } = rig();
    const pinged = barrier.track();
    barrier.flush();
    const notYet = barrier.track();
    const settled = Promise.all([state(pinged), state(notYet)]);
    barrier.fail(new UnconfirmedError("closed"));
    expect(await settled).toEqual(["UnconfirmedError", "UnconfirmedError"]);
  });

  it("rejects the writes when the ping cannot even be written", async () => {
    const { barrier } = rig({ writeFails: true });
    const w = barrier.track();
    barrier.flush();
    expect(await state(w)).toBe("UnconfirmedError");
  });

  it("rejects after the timeout without an answer and asks for the connection to be dropped", async () => {
    const { barrier, timeouts } = rig();
    const w = barrier.track();
    barrier.flush();
    await vi.advanceTimersByTimeAsync(999);
    expect(await state(w)).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(await state(w)).toBe("UnconfirmedError");
    expect(timeouts).toEqual([1000]);
  });

  it("does not judge a silence while incoming stanzas are held (no answer can be read then)", async () => {
    let held = true;
    const { barrier, pings, timeouts } = rig({ held: () => held });
    const w = barrier.track();
    barrier.flush();
    await vi.advanceTimersByTimeAsync(5000);
    expect(await state(w)).toBe("pending");
    expect(timeouts).toEqual([]);
    held = false;
    barrier.answered(pings[0]);
    expect(await state(w)).toBe("resolved");
  });
});
