/**
 * The CLI as an operator runs it (`node --import tsx src/cli.ts ...`): to completion with its exit
 * code and output, or as a running process (start) whose output a test waits on.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { makeTempDir } from "./process.js";
import { withTimeout } from "./wait.js";

export const ROOT = new URL("../..", import.meta.url).pathname;
const CLI = join(ROOT, "src/cli.ts");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one command to its end (killed after `timeoutMs`, which fails the test). */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", CLI, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: "SIGKILL" },
      (err, stdout, stderr) => {
        if (err?.killed)
          reject(new Error(`xmpp-gateway ${args.join(" ")} did not end within ${timeoutMs} ms`));
        else resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

export interface RunningCli {
  readonly proc: ChildProcess;
  output(): string;
  /** Resolves with the exit code (bounded). */
  exited(timeoutMs?: number): Promise<number | null>;
}

export function spawnCli(args: string[], env: Record<string, string> = {}): RunningCli {
  const chunks: string[] = [];
  const proc = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout?.on("data", (d: Buffer) => chunks.push(d.toString()));
  proc.stderr?.on("data", (d: Buffer) => chunks.push(d.toString()));
  const exit = new Promise<number | null>((resolve) => {
    if (proc.exitCode !== null) resolve(proc.exitCode);
    else proc.once("exit", (code) => resolve(code));
  });
  return {
    proc,
    output: () => chunks.join(""),
    exited: (timeoutMs = 30_000) => withTimeout(exit, timeoutMs, "xmpp-gateway to exit"),
  };
}

/** Writes a config (a YAML-able object or YAML text) to a fresh temporary file. */
export function writeConfigFile(config: Record<string, unknown> | string, name = "gateway.yaml"): string {
  const file = join(makeTempDir("cli"), name);
  writeFileSync(file, typeof config === "string" ? config : stringify(config));
  return file;
}
