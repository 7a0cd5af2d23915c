/** config/grafana-dashboard.json: valid JSON whose queries use only metrics the gateway exports. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../src/observability/metrics.js";

const dashboard: unknown = JSON.parse(
  readFileSync(new URL("../../config/grafana-dashboard.json", import.meta.url), "utf8"),
);

function expressions(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(expressions);
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) =>
    (k === "expr" || k === "query") && typeof v === "string" ? [v] : expressions(v),
  );
}

describe("the Grafana dashboard", () => {
  it("references only metric names that /metrics has", async () => {
    const metrics = createMetrics({ version: "1.2.3", queueCounts: async () => ({}) });
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const exprs = expressions(dashboard);
    expect(exprs.length).toBeGreaterThan(10);
    const used = new Set(
      exprs.flatMap((e) => [...e.matchAll(/\b(?:xgw|process|nodejs)_[a-z0-9_]+/g)].map((m) => m[0])),
    );
    const missing = [...used].filter((name) => !exported.has(name.replace(/_(bucket|sum|count)$/, "")));
    expect(missing).toEqual([]);
    // Each of the gateway's own metrics is on the dashboard.
    for (const name of exported) {
      if (name.startsWith("xgw_"))
        expect(
          [...used].some((u) => u.startsWith(name)),
          name,
        ).toBe(true);
    }
  });
});
