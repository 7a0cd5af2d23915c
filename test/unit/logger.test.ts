import { describe, expect, it } from "vitest";
import { createLogger, resolveLogFormat } from "../../src/observability/logger.js";

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

  it("pretty lines (pino-pretty) are readable and scrubbed the same way", () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: "info",
      secrets: ["s3cr3t-component"],
      destination: { write: (l: string) => lines.push(l) },
      format: "pretty",
      colorize: false,
    });
    logger.warn(
      { authToken: "anything-at-all", reason: "s3cr3t-component refused" },
      "delivery failed (30003)",
    );
    const out = lines.join("");
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: delivery failed \(30003\)\n/);
    expect(out).not.toContain("{");
    expect(out).not.toContain("s3cr3t-component");
    expect(out).not.toContain("anything-at-all");
    expect(out.match(/\[REDACTED\]/g)?.length).toBe(2);
  });

  it("redacts secret-named fields by name at any case, nested, in arrays, bindings and errors", () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: "info",
      secrets: [],
      destination: { write: (l: string) => lines.push(l) },
    });
    const request = { url: "/x", headers: { Authorization: "Basic abc", accept: "json" } };
    const payload = {
      request,
      accounts: [{ apiKey: "key-1", name: "a" }],
      deep: { a: { b: { password: "p" } } },
    };
    const err = Object.assign(new Error("refused"), { authToken: "err-token" });
    logger.child({ role: "worker", credentials: { PASSWORD: "bound-pw" } }).info(payload, "sent");
    logger.error({ err }, "failed");
    const [sent, failed] = lines.map((l) => JSON.parse(l));
    expect(sent.request.headers).toEqual({ Authorization: "[REDACTED]", accept: "json" });
    expect(sent.accounts).toEqual([{ apiKey: "[REDACTED]", name: "a" }]);
    expect(sent.credentials).toEqual({ PASSWORD: "[REDACTED]" });
    expect(sent.role).toBe("worker");
    // Three levels of keys are looked at; the fourth (deep.a.b.password) is past them.
    expect(sent.deep.a.b.password).toBe("p");
    expect(failed.err.authToken).toBe("[REDACTED]");
    expect(failed.err.message).toBe("refused");
    expect(failed.err.stack).toContain("refused");
    // The caller's objects are not changed.
    expect(request.headers.Authorization).toBe("Basic abc");
    expect(payload.accounts[0]?.apiKey).toBe("key-1");
    expect(err.authToken).toBe("err-token");
  });

  it("setLevel changes the level of the logger and of every child made before", () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: "info",
      secrets: [],
      destination: { write: (l: string) => lines.push(l) },
    });
    const child = logger.child({ role: "worker" });
    child.debug("hidden");
    logger.setLevel("debug");
    child.debug("shown");
    logger.debug("shown too");
    logger.setLevel("warn");
    child.info("hidden again");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["shown", "shown too"]);
    expect(logger.level).toBe("warn");
  });

  it("auto format is pretty on a terminal only", () => {
    expect(resolveLogFormat("auto", true)).toBe("pretty");
    expect(resolveLogFormat("auto", false)).toBe("json");
    expect(resolveLogFormat("json", true)).toBe("json");
    expect(resolveLogFormat("pretty", false)).toBe("pretty");
  });
});
