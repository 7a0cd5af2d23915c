import { describe, expect, it } from "vitest";
import { jitteredBackoff } from "../../src/core/backoff.js";
import { RetryableError } from "../../src/core/errors.js";
import { backoffStrategy } from "../../src/queue/retry.js";

describe("backoff", () => {
  it("doubles per attempt, stays within [ceiling/2, ceiling] and under the maximum", () => {
    expect(jitteredBackoff(0, 100, 10_000, () => 0)).toBe(50);
    expect(jitteredBackoff(0, 100, 10_000, () => 1)).toBe(100);
    expect(jitteredBackoff(3, 100, 10_000, () => 1)).toBe(800);
    expect(jitteredBackoff(3, 100, 10_000, () => 0)).toBe(400);
    expect(jitteredBackoff(50, 100, 10_000, () => 1)).toBe(10_000);
  });

  it("spreads reconnects (jitter) rather than synchronizing them", () => {
    const delays = new Set(Array.from({ length: 50 }, () => jitteredBackoff(4, 100, 60_000)));
    expect(delays.size).toBeGreaterThan(10);
  });

  it("honours Retry-After when it asks for longer, capped by the maximum", () => {
    const strategy = backoffStrategy({ baseMs: 100, maxMs: 60_000 });
    expect(strategy(1, "jittered", new RetryableError("429", 5000))).toBe(5000);
    expect(strategy(1, "jittered", new RetryableError("429", 10 * 60_000))).toBe(60_000);
    expect(strategy(1, "jittered", new Error("boom"))).toBeLessThanOrEqual(100);
  });
});
