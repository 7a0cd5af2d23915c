/**
 * TurnLines: the log lines of one turn leave as one chunk after the turn, an error line at once
 * with its turn's lines before it; and the logger on stdout loses no line when the process exits
 * right after logging (run in a child process, as the gateway runs).
 */
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { TurnLines } from "../../src/observability/turn-lines.js";
import { ROOT } from "../harness/cli.js";

const afterTurn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

describe("TurnLines", () => {
  it("writes the lines of one turn as one chunk, in order, once the turn is over", async () => {
    const chunks: string[] = [];
    const lines = new TurnLines((c) => chunks.push(c));
    for (const n of [1, 2, 3]) lines.write(`{"n":${n}}\n`);
    expect(chunks).toEqual([]);
    await afterTurn();
    expect(chunks).toEqual(['{"n":1}\n{"n":2}\n{"n":3}\n']);
    lines.write('{"n":4}\n');
    await afterTurn();
    expect(chunks).toEqual(['{"n":1}\n{"n":2}\n{"n":3}\n', '{"n":4}\n']);
  });

  it("writes an error line at once, after the lines of its turn", () => {
    const chunks: string[] = [];
    const lines = new TurnLines((c) => chunks.push(c));
    lines.lastLevel = 30;
    lines.write("info\n");
    lines.lastLevel = 50;
    lines.write("error\n");
    expect(chunks).toEqual(["info\nerror\n"]);
  });

  it("loses no line of the stdout logger when the process exits in the same turn", async () => {
    const script = `
      import { createLogger } from "./src/observability/logger.ts";
      const log = createLogger({ level: "info", secrets: ["s3cr3t-token-value"] });
      log.info("first");
      log.info({ reason: "refused s3cr3t-token-value" }, "second");
      log.warn("third");
      process.exit(0);
    `;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", script],
        { cwd: ROOT, timeout: 30_000 },
        (err, out) => (err ? reject(err) : resolve(out)),
      );
    });
    const msgs = stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(["first", "second", "third"]);
    expect(stdout).not.toContain("s3cr3t-token-value");
    expect(stdout).toContain("[REDACTED]");
  });
});
