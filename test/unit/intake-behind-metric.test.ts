/** xgw_outbound_intake_behind_seconds_total counts the time the intake was behind, a spell under way included. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { IntakeLag } from "../../src/core/intake-lag.js";
import { createMetrics } from "../../src/observability/metrics.js";

const NAME = "xgw_outbound_intake_behind_seconds_total";

async function secondsBehind(metrics: ReturnType<typeof createMetrics>): Promise<number> {
  const json = await metrics.registry.getSingleMetric(NAME)?.get();
  return json?.values[0]?.value ?? Number.NaN;
}

describe(NAME, () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("counts a spell while it lasts and after it ended, and nothing while caught up", async () => {
    const metrics = createMetrics({ version: "1.2.3" });
    const lag = metrics.intakeBehind.follow(new IntakeLag({ lagMs: 20, holdMs: 250 }));
    expect(await secondsBehind(metrics)).toBe(0);

    lag.took(100); // behind
    vi.advanceTimersByTime(100);
    expect(await secondsBehind(metrics)).toBeCloseTo(0.1, 3);

    lag.took(1); // caught up: a spell of 100 ms
    vi.advanceTimersByTime(1_000);
    expect(await secondsBehind(metrics)).toBeCloseTo(0.1, 3);

    lag.took(50); // a second spell, ended by the hold
    vi.advanceTimersByTime(250);
    expect(lag.behind).toBe(false);
    vi.advanceTimersByTime(5_000);
    expect(await secondsBehind(metrics)).toBeCloseTo(0.35, 3);
  });
});
