/**
 * Run as a child process by test/integration/worker-halt.test.ts: a worker whose job finishes
 * after its stop gave up on Redis (the worker closing, its connection disconnected, as
 * roles/running.ts does past its bound). It prints one JSON line on stdout: the timer ticks its
 * event loop ran in the second after the job finished, and the CPU time it spent in that second.
 * When BullMQ's retry of the job's completion spins (it skips its delay while closing, and a
 * disconnected ioredis rejects at once), the loop runs no timer again and nothing is printed.
 */
import { heldWorkerRig } from "./held-worker.js";
import { waitFor } from "./wait.js";

const WATCH_MS = 1_000;
const TICK_MS = 50;

async function main(): Promise<void> {
  const r = await heldWorkerRig({ name: "halted-worker", batches: "never", concurrency: 2 });
  await r.turn("h", 1);
  const worker = r.start();
  await waitFor(() => r.sendCount() === 1 || undefined, { description: "the send held" });
  void worker.close().catch(() => {}); // the stop's close, which never finishes
  r.workerRedis.disconnect(); // past the stop's bound: the connection closed without waiting
  await waitFor(() => r.workerRedis.status === "end" || undefined, { description: "the connection ended" });
  let ticks = 0;
  const timer = setInterval(() => ticks++, TICK_MS);
  const cpuBefore = process.cpuUsage();
  const started = Date.now();
  r.release(); // the job finishes; its result cannot be recorded
  await new Promise<void>((resolve) => setTimeout(resolve, WATCH_MS));
  clearInterval(timer);
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = Date.now() - started;
  process.stdout.write(`${JSON.stringify({ ticks, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
  r.redis.disconnect();
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(2);
});
