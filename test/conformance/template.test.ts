/**
 * The template adapter (adapters/template) stays an honest starting point: not in the production
 * registry, and every network-specific member says what to write instead of pretending to work.
 */
import { describe, expect, it } from "vitest";
import { createTemplateAdapter, templateConfigSchema } from "../../adapters/template/index.js";
import { templateConformance } from "../../adapters/template/test/descriptor.js";
import type { OutboundMessage } from "../../src/core/adapter.js";
import { adapters } from "../../src/main.js";
import { silentLogger } from "../harness/silent-logger.js";
import { CONFORMANCE_ADAPTERS } from "./adapters.js";

const config = templateConfigSchema.parse({ apiBaseUrl: "https://api.example.net", apiKey: "k" });
const adapter = createTemplateAdapter(config, { logger: silentLogger, emit: async () => undefined });
const msg: OutboundMessage = { to: "x", from: "y", body: "hi", mediaUrls: [], messageId: "m1" };

describe("the template adapter", () => {
  it("is in neither the production registry nor the conformance list", () => {
    expect(Object.keys(adapters)).not.toContain("template");
    expect(CONFORMANCE_ADAPTERS.map((d) => d.name)).not.toContain("template");
  });

  it("sends nothing: send, the address rules and the stand-in say what to write", async () => {
    await expect(adapter.send(msg, { number: "y" })).rejects.toThrow(/^not implemented: send: /);
    expect(() => adapter.parseAddress("x")).toThrow(/^not implemented: parseAddress: /);
    expect(() => adapter.formatAddress("x")).toThrow(/^not implemented: formatAddress: /);
    await expect(templateConformance.start()).rejects.toThrow(/^not implemented: start: /);
  });

  it("has a config schema with defaults and a face", () => {
    expect(config.requestTimeoutMs).toBe(15_000);
    expect(templateConfigSchema.safeParse({ apiKey: "k" }).success).toBe(false);
    expect(adapter.face?.identityType).toBe("template");
  });
});
