/**
 * Small files named for one job: no file over 300 lines and no function over 80 lines in src/ and
 * adapters/ (test/harness/source-size.ts measures them with the TypeScript parser).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MAX_FUNCTION_LINES, oversized } from "../harness/source-size.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * TEMPORARY: over the limits when the rule was added, in files other work owns (issue 10: the
 * XMPP face and the adapters). Remove a line once its file is split; a new offender fails.
 */
const ALLOWED: readonly string[] = [
  "src/xmpp/commands/admin-commands.ts: adminCommands",
  "src/xmpp/presence.ts: presenceService",
  "src/xmpp/transport.ts: file",
  "adapters/simulator/index.ts: createSimulatorAdapter",
  "adapters/twilio/index.ts: createTwilioAdapter",
];

describe("source size", () => {
  it("no file over 300 lines, no function over 80, outside the temporary allow-list", () => {
    const found = oversized(root, ["src", "adapters"]).map((o) => `${o.file}: ${o.what} (${o.lines} lines)`);
    const unexpected = found.filter((line) => !ALLOWED.some((a) => line.startsWith(`${a} `) || line === a));
    expect(unexpected).toEqual([]);
  });

  it("measures nested functions with the function that holds them", () => {
    const found = oversized(path.join(root, "test/fixtures/source-size"), ["src"]);
    expect(found.map((o) => `${o.file}: ${o.what}`)).toEqual(["src/long.ts: outer (line 2)"]);
    expect(found[0]?.lines).toBeGreaterThan(MAX_FUNCTION_LINES);
  });
});
