import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/observability/logger.js";

describe("logger", () => {
  it("scrubs known secret values and redacts secret-named fields", async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: "info",
      secrets: ["s3cr3t-component", 'tok"en-with-quote'],
      destination: { write: (l: string) => lines.push(l) },
    });
    logger.info({ authToken: "anything-at-all", nested: { secret: "nested-value" } }, "connecting");
    logger.error({ err: { message: "handshake failed for s3cr3t-component" } }, "oops");
    logger.warn({ detail: 'value tok"en-with-quote here' }, "quoted");
    const out = lines.join("");
    expect(lines).toHaveLength(3);
    expect(out).not.toContain("s3cr3t-component");
    expect(out).not.toContain("anything-at-all");
    expect(out).not.toContain("nested-value");
    expect(out).not.toContain('tok\\"en-with-quote');
    expect(out.match(/\[REDACTED\]/g)?.length).toBe(4);
  });
});
