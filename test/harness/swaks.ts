/**
 * swaks (Debian package), a real SMTP client nobody here wrote, for sending into the gateway's
 * listener or the test MTA. The result keeps swaks' transcript and the server's replies, so a
 * test can assert on the code a given command got.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOOPBACK } from "./ports.js";
import { makeTempDir, run } from "./process.js";

export interface SwaksOptions {
  readonly port: number;
  readonly from: string;
  readonly to: string | readonly string[];
  /** The whole message (headers and body, CRLF or LF); swaks' default message otherwise. */
  readonly data?: string;
  readonly header?: readonly string[];
  readonly body?: string;
  /** Stop after this SMTP command (e.g. "RCPT"). */
  readonly quitAfter?: string;
  readonly timeoutMs?: number;
}

export interface SwaksResult {
  /** swaks' exit code (0: the server accepted the message). */
  readonly code: number;
  readonly transcript: string;
  /** Every reply line the server sent, e.g. "250 2.0.0 Ok: queued". */
  readonly replies: readonly string[];
  /** The reply to the DATA content (after the final dot), or to the command that failed. */
  readonly lastReply: string;
}

export async function swaks(opts: SwaksOptions): Promise<SwaksResult> {
  const to = typeof opts.to === "string" ? [opts.to] : opts.to;
  const args = ["--server", `${LOOPBACK}:${opts.port}`, "--from", opts.from, "--to", to.join(",")];
  args.push("--helo", "client.localhost", "--timeout", "20", "--hide-informational");
  if (opts.data !== undefined) args.push("--data", dataFile(opts.data));
  for (const h of opts.header ?? []) args.push("--header", h);
  if (opts.body !== undefined) args.push("--body", opts.body);
  if (opts.quitAfter) args.push("--quit-after", opts.quitAfter);
  const result = await run("swaks", args, { timeoutMs: opts.timeoutMs ?? 30_000 });
  const transcript = result.stdout + result.stderr;
  const replies = transcript
    .split("\n")
    .filter((l) => /^<[-*~]* +\d{3}[ -]/.test(l))
    .map((l) => l.replace(/^<[-*~]* +/, ""));
  return { code: result.code, transcript, replies, lastReply: lastFinalReply(replies) };
}

function lastFinalReply(replies: readonly string[]): string {
  const finals = replies.filter((r) => /^\d{3} /.test(r) && !r.startsWith("221 "));
  return finals[finals.length - 1] ?? "";
}

let dataDir: string | undefined;
let dataFiles = 0;

/** swaks reads `--data <file>`; the message goes through a file (a 10 MB mail fits no argv). */
function dataFile(data: string): string {
  dataDir ??= makeTempDir("swaks");
  const file = join(dataDir, `message-${++dataFiles}.eml`);
  writeFileSync(file, data);
  return file;
}
