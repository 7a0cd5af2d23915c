/**
 * The Node options the gateway ships with are on src/cli.ts's first line (the installed
 * `xmpp-gateway` command's shebang); `npm start` and the Dockerfile must pass the same ones, and
 * the shebang must work as written (`env -S` splits it into node and its options).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { shippedNodeFlags } from "../harness/node-flags.js";
import { makeTempDir } from "../harness/process.js";

const ROOT = join(import.meta.dirname, "../..");
const flags = shippedNodeFlags(join(ROOT, "src/cli.ts"));

describe("the Node options the gateway ships with", () => {
  it("are a young generation of 32 MB a semi-space, on the shebang", () => {
    expect(flags).toEqual(["--max-semi-space-size=32"]);
  });

  it("are the ones npm start and the Dockerfile pass", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      scripts: { start: string };
    };
    expect(pkg.scripts.start).toBe(`node ${flags.join(" ")} dist/src/cli.js start`);
    const docker = readFileSync(join(ROOT, "Dockerfile"), "utf8");
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(docker)?.[1] ?? "[]";
    expect(JSON.parse(entry)).toEqual(["node", ...flags, "dist/src/cli.js"]);
  });

  it("reach node when a script with that first line is run as a program", () => {
    const shebang = readFileSync(join(ROOT, "src/cli.ts"), "utf8").split("\n", 1)[0];
    const script = join(makeTempDir("shebang"), "run.mjs");
    writeFileSync(script, `${shebang}\nprocess.stdout.write(process.execArgv.join(" "));\n`);
    chmodSync(script, 0o755);
    expect(execFileSync(script).toString()).toBe(flags.join(" "));
  });
});
