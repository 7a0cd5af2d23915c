/**
 * The Node options the gateway ships with: those on the first line of src/cli.ts (its shebang,
 * `#!/usr/bin/env -S node --flag ...`, kept by tsc in dist/src/cli.js), which `npm start` and the
 * Dockerfile's ENTRYPOINT repeat (test/unit/node-flags.test.ts holds them to it). The bench and
 * the chaos tests start the gateway with them, as the installed `xmpp-gateway` command runs.
 */
import { readFileSync } from "node:fs";

export function shippedNodeFlags(cliFile: string): string[] {
  const first = readFileSync(cliFile, "utf8").split("\n", 1)[0] ?? "";
  const m = /^#!\/usr\/bin\/env(?: -S)? node((?: --[\w-]+(?:=\S+)?)*)$/.exec(first);
  if (!m) throw new Error(`${cliFile}: the first line is not a node shebang: ${first}`);
  return (m[1] ?? "").split(" ").filter((f) => f !== "");
}
