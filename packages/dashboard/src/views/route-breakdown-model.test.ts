import { describe, expect, it } from "vitest";
import { breakdownRoutes, breakdownRow, MAX_BREAKDOWN_ROUTES } from "./route-breakdown-model.js";

describe("route breakdown", () => {
  it("takes the busiest routes of the judge's diagnostics, listed by name", () => {
    const row = (key: string, n: number) => ({ key, dark: { exposure: n }, baseline: { exposure: n } });
    const routes = Array.from({ length: MAX_BREAKDOWN_ROUTES + 3 }, (_, i) => row(`GET /r${String(i).padStart(2, "0")}`, i));
    const picked = breakdownRoutes({ diagnostics: { routes } });
    expect(picked).toHaveLength(MAX_BREAKDOWN_ROUTES);
    expect(picked[0]).toBe("GET /r03");
    expect(breakdownRoutes(undefined)).toEqual([]);
    expect(breakdownRoutes({ diagnostics: {} })).toEqual([]);
  });
  it("makes a row from a series' totals", () => {
    const sideRates = (requests: number, errorRate: number, p95: number) => ({
      requests,
      errors: 0,
      errorRate,
      mean: null,
      p50: null,
      p95,
      p99: null,
      requestRate: 0,
    });
    const totals = {
      baseline: sideRates(90, 0.01, 100),
      dark: sideRates(10, 0.1, 120),
      comparison: { total: 50, matched: 45, mismatched: 5, divergenceRate: 0.1 },
      paired: null,
    };
    expect(breakdownRow("GET /a", "proxy", { totals })).toEqual({
      route: "GET /a",
      source: "proxy",
      requests: 100,
      baseline: { requests: 90, errorRate: 0.01, p95: 100 },
      dark: { requests: 10, errorRate: 0.1, p95: 120 },
      mismatched: 5,
      compared: 50,
    });
  });
});
