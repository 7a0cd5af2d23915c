/**
 * A job that finishes after its worker's stop gave up on Redis (roles/running.ts closes the
 * connections without waiting past its bound) must not take the process's event loop: BullMQ
 * 5.81 retries recording the outcome without delay while closing, and an ended ioredis rejects
 * at once, so without the gate in send-bound.ts the loop spins on promises and no timer runs
 * again. The worker runs in a child process (test/harness/halted-worker-child.ts), so a spin
 * shows as a child that never reports and is killed, not as a hung test run.
 */
import { join } from "node:path";
import { expect, it } from "vitest";
import { z } from "zod";
import { ROOT } from "../harness/cli.js";
import { spawnManaged } from "../harness/process.js";
import { WaitTimeoutError, withTimeout } from "../harness/wait.js";

const REPORT_WITHIN_MS = 15_000;
const Report = z.object({ ticks: z.number(), wallMs: z.number(), cpuMs: z.number() });

it("keeps the event loop running when a job finishes after the stop closed its Redis connection", async () => {
  let report: string | undefined;
  const child = spawnManaged(
    "halted-worker",
    process.execPath,
    ["--import", "tsx", join(ROOT, "test/harness/halted-worker-child.ts")],
    { cwd: ROOT, onLine: (line) => (report ??= line.startsWith("{") ? line : undefined) },
  );
  try {
    await withTimeout(child.exited, REPORT_WITHIN_MS, "the child's report");
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    throw new Error(`the child's event loop did not run for ${REPORT_WITHIN_MS} ms: ${child.output()}`);
  } finally {
    await child.stop(1_000);
  }
  expect(report, child.output()).toBeDefined();
  const { ticks, cpuMs, wallMs } = Report.parse(JSON.parse(report ?? "{}"));
  // 20 timer ticks of 50 ms fit in the second watched; a loaded machine may run fewer, a spin none.
  expect(ticks).toBeGreaterThanOrEqual(5);
  // Waiting costs next to nothing; a spin costs the whole second.
  expect(cpuMs).toBeLessThan(0.5 * wallMs);
}, 30_000);
