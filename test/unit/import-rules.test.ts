/**
 * The layout's dependency rules hold on the real import graph (test/harness/import-rules.ts has
 * the rule table), and the check fails on a tree that breaks them.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { layerOf, readGraph, violations } from "../harness/import-rules.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");

describe("import rules", () => {
  it("hold for every file under src/ and adapters/", () => {
    const graph = readGraph(root, ["src", "adapters"]);
    expect(graph.size).toBeGreaterThan(100);
    expect(violations(graph)).toEqual([]);
  });

  it("fail on a tree that breaks them (test/fixtures/import-rules)", () => {
    const graph = readGraph(path.join(here, "../fixtures/import-rules"), ["src", "adapters"]);
    expect(violations(graph).sort()).toEqual([
      "adapters/loop/index.ts: imports ../../src/store/thing.js (adapter may not import store)",
      "src/core/wire.ts: imports ioredis (core may not use ioredis)",
      "src/queue/reach.ts: imports ../store/thing.js (queue may not import store)",
    ]);
  });

  it("keep adapters apart and faces apart (an in-memory graph)", () => {
    const graph = new Map([
      [
        "adapters/twilio/index.ts",
        [
          "../simulator/index.js",
          "../sms-kit/phone.js",
          "../provider-kit/index.js",
          "../../src/core/adapter.js",
        ],
      ],
      ["adapters/sms-kit/phone.ts", ["../../src/core/errors.js"]],
      ["src/xmpp/a.ts", ["../queue/producer.js", "../core/ports.js", "bullmq", "@xmpp/component"]],
      ["src/http/b.ts", ["undici"]],
      ["src/roles/c.ts", ["../../adapters/twilio/index.js"]],
      ["adapters/email/listener.ts", ["smtp-server", "nodemailer", "postal-mime"]],
      ["adapters/telnyx/mail.ts", ["nodemailer"]],
      ["src/store/mail.ts", ["smtp-server"]],
    ]);
    expect(violations(graph)).toEqual([
      "adapters/twilio/index.ts: imports ../simulator/index.js (adapter may not import adapter)",
      "src/xmpp/a.ts: imports ../queue/producer.js (xmpp may not import queue)",
      "src/xmpp/a.ts: imports bullmq (xmpp may not use bullmq)",
      "src/http/b.ts: imports undici (http may not use undici)",
      "src/roles/c.ts: imports ../../adapters/twilio/index.js (roles may not import adapter)",
      "adapters/telnyx/mail.ts: imports nodemailer (adapter telnyx may not use nodemailer)",
      "src/store/mail.ts: imports smtp-server (store may not use smtp-server)",
    ]);
    expect(layerOf("src/cli.ts")).toBe("cli");
    expect(layerOf("adapters/sms-kit/phone.ts")).toBe("kit");
    expect(layerOf("adapters/provider-kit/send-errors.ts")).toBe("kit");
  });
});
