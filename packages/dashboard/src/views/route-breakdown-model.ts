import type { ObservationSeries, VerdictResponse } from "@darklaunch/core";

/** The observation sources the API filters by (core's OBSERVATION_SOURCES). */
export const OBSERVED_SOURCES = ["proxy", "sdk", "api"] as const;
/** Routes shown at most; the judge's diagnostics list the busiest first. */
export const MAX_BREAKDOWN_ROUTES = 12;

type Side = ObservationSeries["totals"]["baseline"];

export interface BreakdownRow {
  route: string;
  source: string;
  requests: number;
  baseline: Pick<Side, "requests" | "errorRate" | "p95">;
  dark: Pick<Side, "requests" | "errorRate" | "p95">;
  mismatched: number;
  compared: number;
}

/** The routes the judge saw for the flag (its per-route diagnostics), most requests first. */
export function breakdownRoutes(verdict: Pick<VerdictResponse, "diagnostics"> | undefined): string[] {
  const rows = (verdict?.diagnostics as { routes?: { key: string; dark?: { exposure?: number }; baseline?: { exposure?: number } }[] })
    ?.routes;
  if (!Array.isArray(rows)) return [];
  return [...rows]
    .sort((a, b) => (b.dark?.exposure ?? 0) + (b.baseline?.exposure ?? 0) - ((a.dark?.exposure ?? 0) + (a.baseline?.exposure ?? 0)))
    .map((r) => r.key)
    .slice(0, MAX_BREAKDOWN_ROUTES)
    .sort();
}

/** One row of the table from a series filtered to a route and source. */
export function breakdownRow(route: string, source: string, series: Pick<ObservationSeries, "totals">): BreakdownRow {
  const { baseline, dark, comparison } = series.totals;
  const side = (s: Side) => ({ requests: s.requests, errorRate: s.errorRate, p95: s.p95 });
  return {
    route,
    source,
    requests: baseline.requests + dark.requests,
    baseline: side(baseline),
    dark: side(dark),
    mismatched: comparison.mismatched,
    compared: comparison.total,
  };
}
