/**
 * `xmpp-gateway demo` as a newcomer runs it: it starts Prosody and the gateway, prints every
 * message as it flows (-> / <- lines, not JSON), and `xmpp-gateway demo text` from a second
 * process makes a simulated phone text the logged-in demo user first.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli } from "../harness/cli.js";
import { type ManagedProcess, makeTempDir, spawnManaged } from "../harness/process.js";
import { waitFor } from "../harness/wait.js";
import { connectClient, type Element, type TestClient } from "../harness/xmpp-client.js";

describe("the demo", () => {
  let demo: ManagedProcess;
  let alice: TestClient;
  let dir: string;

  beforeAll(async () => {
    dir = join(makeTempDir("demo"), "demo");
    demo = spawnManaged(
      "demo",
      process.execPath,
      ["--import", "tsx", join(ROOT, "src/cli.ts"), "demo", "--dir", dir],
      {
        cwd: ROOT,
      },
    );
    const port = await waitFor(() => /server: {3}127\.0\.0\.1, port (\d+)/.exec(demo.output())?.[1], {
      timeoutMs: 90_000,
      description: "the demo's banner",
    });
    alice = await connectClient({
      server: { c2sPort: Number(port), domain: "localhost" },
      username: "alice",
      password: "demo-password",
    });
  }, 120_000);

  afterAll(async () => {
    await alice?.stop();
    await demo?.stop(20_000);
  });

  const from = (jid: string, body: string) => (el: Element) =>
    el.is("message") && el.attrs.from?.split("/")[0] === jid && el.getChildText("body") === body;

  it("delivers a text from `demo text` to the logged-in user and prints it", async () => {
    const r = await runCli(["demo", "text", "+15557654321", "hello from a phone", "--dir", dir]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    await alice.waitFor(from("+15557654321@sms.localhost", "hello from a phone"), 20_000);
    expect(demo.output()).toContain(
      "<- +1 555 765 4321 to alice@localhost (+1 555 000 1111): hello from a phone",
    );
  }, 60_000);

  it("prints a message going out and its echo coming back", async () => {
    await alice.sendMessage("+15551234567@sms.localhost", "ping the phone");
    await alice.waitFor(from("+15551234567@sms.localhost", "echo: ping the phone"), 20_000);
    await waitFor(
      () => demo.output().includes("<- +1 555 123 4567 to alice@localhost (+1 555 000 1111): echo: ping"),
      {
        timeoutMs: 10_000,
        description: "the echo line",
      },
    );
    const out = demo.output();
    expect(out).toContain("-> alice@localhost (+1 555 000 1111) to +1 555 123 4567: ping the phone");
    expect(out).not.toMatch(/^\{"level"/m); // the console is not the JSON log
  });

  it("says so when no demo runs in the directory", async () => {
    const r = await runCli(["demo", "text", "+15557654321", "anyone?", "--dir", makeTempDir("no-demo")]);
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/^xmpp-gateway: no demo in .* \(start one with `xmpp-gateway demo`/);
  });
});
