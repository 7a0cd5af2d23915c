/**
 * SendBound.processor once the worker's connection has ended (send-bound.ts): a job that finishes
 * or fails then is left unsettled, so BullMQ never tries to record what cannot be recorded; while
 * the connection is up, outcomes pass through as they are.
 */
import type { Job } from "bullmq";
import { describe, expect, it } from "vitest";
import { SendBound } from "../../src/queue/send-bound.js";

const job = { id: "j1" } as Job;
/** Whether `p` settled by the time a macrotask has run (every microtask before it has). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise<void>((resolve) => setImmediate(resolve));
  return done;
}

function rig() {
  let ended = false;
  const bound = new SendBound(20);
  const worker = { concurrency: 20 };
  bound.keep(worker, () => ended);
  return { bound, worker, end: () => (ended = true) };
}

describe("SendBound.processor after the connection ended", () => {
  it("passes results and errors through while the connection is up", async () => {
    const { bound } = rig();
    await expect(bound.processor(async () => "done")(job)).resolves.toBe("done");
    await expect(
      bound.processor(async () => {
        throw new Error("refused");
      })(job),
    ).rejects.toThrow("refused");
  });

  it("leaves a job that finishes or fails after the end unsettled, and counts it as no longer running", async () => {
    const { bound, worker, end } = rig();
    let finish: (ok: boolean) => void = () => {};
    const run = (o: { fail: boolean }) =>
      bound.processor(
        () =>
          new Promise<string>((resolve, reject) => {
            finish = (ok) => (ok && !o.fail ? resolve("done") : reject(new Error("refused")));
          }),
      )(job);
    const idle = worker.concurrency; // what the bound asks of the worker with no job running
    const ok = run({ fail: false });
    const okFinish = finish;
    const failed = run({ fail: true });
    expect(worker.concurrency).toBeGreaterThan(idle);
    end();
    okFinish(true);
    finish(true);
    expect(await settled(ok)).toBe(false);
    expect(await settled(failed)).toBe(false);
    // Both are counted out: the worker would take jobs again were it still running.
    expect(worker.concurrency).toBe(idle);
  });
});
