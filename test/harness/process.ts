/**
 * Child processes and temporary directories for the harness.
 *
 * Every server is started in its own process group (`detached: true`) and stopped by PID/PGID,
 * never by name. As a last resort, whatever a test forgot to stop is killed (SIGKILL) and its
 * temporary directory removed when the test process ends: on "exit", and on SIGTERM, which is how
 * vitest ends its worker processes (fork.kill(); no "exit" event fires then). A temporary directory
 * whose owning test process died without cleaning up (SIGKILL) is swept by the next makeTempDir().
 * Set XGW_KEEP_TEST_DIRS=1 to keep the directories (configs and server logs) for debugging.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./wait.js";

const DIR_PREFIX = "xgw-harness-";
const OWNER_FILE = ".xgw-owner-pid";
const KEEP_FILE = ".xgw-keep";
const trackedGroups = new Set<number>(); // process group ids (negative kill)
const trackedPids = new Set<number>(); // single pids (daemons we did not spawn directly)
const tempDirs = new Set<string>();
let hooksInstalled = false;

function keepDirs(): boolean {
  return process.env.XGW_KEEP_TEST_DIRS === "1";
}

/** Synchronous last-resort cleanup of everything this process started. */
function cleanupNow(): void {
  for (const pgid of trackedGroups) signalGroup(pgid, "SIGKILL");
  for (const pid of trackedPids) signalPid(pid, "SIGKILL");
  trackedGroups.clear();
  trackedPids.clear();
  if (!keepDirs()) {
    for (const dir of tempDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort while exiting
      }
    }
    tempDirs.clear();
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", cleanupNow);
  const onSigterm = () => {
    cleanupNow();
    // Re-raise: with no listener left, the default action ends the process as SIGTERM would have.
    if (process.listenerCount("SIGTERM") === 0) process.kill(process.pid, "SIGTERM");
  };
  process.once("SIGTERM", onSigterm);
}

/** Removes xgw-harness-* temp dirs left by test processes that died without cleaning up. */
function sweepStaleDirs(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir()).filter((n) => n.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(tmpdir(), name);
    try {
      if (existsSync(join(dir, KEEP_FILE))) continue;
      const owner = Number(readFileSync(join(dir, OWNER_FILE), "utf8"));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && !isAlive(owner)) {
        rmSync(dir, { recursive: true, force: true });
      }
    } catch {
      // not ours, or being created right now
    }
  }
}

/** Kill `pid` with SIGKILL if this test process exits before untrackPid(pid). */
export function trackPid(pid: number): void {
  installHooks();
  trackedPids.add(pid);
}

export function untrackPid(pid: number): void {
  trackedPids.delete(pid);
}

/** A fresh private directory under the OS temp dir, removed when the test process exits. */
export function makeTempDir(label: string): string {
  installHooks();
  sweepStaleDirs();
  const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${label}-`));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  if (keepDirs()) writeFileSync(join(dir, KEEP_FILE), "");
  tempDirs.add(dir);
  return dir;
}

/** Removes a directory made by makeTempDir now (unless XGW_KEEP_TEST_DIRS=1). */
export function removeTempDir(dir: string): void {
  tempDirs.delete(dir);
  if (keepDirs()) return;
  rmSync(dir, { recursive: true, force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: exists but belongs to someone else (still alive)
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** Sends `signal` to `pid`, waits for it to exit, SIGKILLs it after `timeoutMs`. */
export async function stopPid(
  pid: number,
  timeoutMs = 10_000,
  signal: NodeJS.Signals = "SIGTERM",
): Promise<void> {
  if (!isAlive(pid)) return;
  signalPid(pid, signal);
  try {
    await waitFor(() => !isAlive(pid), { timeoutMs, intervalMs: 20, description: `pid ${pid} to exit` });
  } catch {
    signalPid(pid, "SIGKILL");
    await waitFor(() => !isAlive(pid), { timeoutMs: 5000, intervalMs: 20, description: `pid ${pid} to die` });
  }
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitInfo>;
  isRunning(): boolean;
  /** The last 64 kB of stdout and stderr together. */
  output(): string;
  /** SIGTERM to the whole process group, SIGKILL after `timeoutMs`; resolves once it has exited. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with each complete line of stdout/stderr. */
  onLine?: (line: string) => void;
}

const OUTPUT_LIMIT = 64 * 1024;

/** Starts a long-running process in its own process group. */
export function spawnManaged(
  name: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): ManagedProcess {
  installHooks();
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let partial = "";
  const onData = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    out = (out + text).slice(-OUTPUT_LIMIT);
    if (options.onLine) {
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) options.onLine(line);
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  let running = true;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
    child.once("error", (err) => {
      running = false;
      out += `\nspawn error: ${err.message}`;
      resolve({ code: null, signal: null });
    });
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`could not start ${name} (${command}): ${out}`);
  }
  trackedGroups.add(pid);
  void exited.then(() => {
    // The leader is gone; make sure nothing else of its group survives.
    signalGroup(pid, "SIGKILL");
    trackedGroups.delete(pid);
  });

  return {
    name,
    pid,
    exited,
    isRunning: () => running,
    output: () => out,
    async stop(timeoutMs = 10_000) {
      if (!running) return;
      signalGroup(pid, "SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          signalGroup(pid, "SIGKILL");
          resolve();
        }, timeoutMs);
      });
      await Promise.race([exited.then(() => undefined), killed]);
      clearTimeout(timer);
      await exited;
    },
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a short command to completion (bounded by `timeoutMs`); never throws on a non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 30_000,
        killSignal: "SIGKILL",
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") {
          reject(new Error(`${command} ${args.join(" ")} failed: ${err.message}\n${stdout}${stderr}`));
          return;
        }
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

/** Throws with the command's output unless it exited 0. */
export async function runOk(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.code}:\n${result.stdout}${result.stderr}`);
  }
  return result;
}
