/** When the outbound intake counts as behind, and when as caught up again (core/intake-lag.ts). */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { IntakeLag } from "../../src/core/intake-lag.js";

describe("IntakeLag", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const lagWithChanges = () => {
    const lag = new IntakeLag({ lagMs: 20, holdMs: 250 });
    const changes: boolean[] = [];
    lag.onChange((behind) => changes.push(behind));
    return { lag, changes };
  };

  it("is behind after a stanza that took longer than the lag, and tells each change once", () => {
    const { lag, changes } = lagWithChanges();
    lag.took(5);
    lag.took(15); // between half the lag and the lag: no change either way
    expect(lag.behind).toBe(false);
    lag.took(21);
    lag.took(80);
    expect(lag.behind).toBe(true);
    expect(changes).toEqual([true]);
  });

  it("is caught up after a stanza that took less than half the lag", () => {
    const { lag, changes } = lagWithChanges();
    lag.took(30);
    lag.took(15);
    expect(lag.behind).toBe(true);
    lag.took(9);
    expect(lag.behind).toBe(false);
    expect(changes).toEqual([true, false]);
  });

  it("is caught up once the hold passed without a slow stanza, even with no stanza at all", () => {
    const { lag, changes } = lagWithChanges();
    lag.took(30);
    vi.advanceTimersByTime(200);
    lag.took(40); // a slow one 200 ms in: the hold counts from it
    vi.advanceTimersByTime(249);
    expect(lag.behind).toBe(true);
    vi.advanceTimersByTime(1);
    expect(lag.behind).toBe(false);
    expect(changes).toEqual([true, false]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stops telling a listener that unsubscribed", () => {
    const lag = new IntakeLag();
    const changes: boolean[] = [];
    const unsubscribe = lag.onChange((behind) => changes.push(behind));
    lag.took(100);
    unsubscribe();
    lag.took(1);
    expect(changes).toEqual([true]);
    expect(lag.behind).toBe(false);
  });
});
