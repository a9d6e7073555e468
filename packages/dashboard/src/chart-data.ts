import type { AuditEntry, ObservationSeries } from "@darklaunch/core";

/** uPlot's columnar data: x (unix seconds), then one array per series, null where there is no value. */
export type Columns = [number[], ...(number | null)[][]];

export interface GoldenSignals {
  /** Requests per second, baseline then dark. */
  rate: Columns;
  /** Error rate in percent (0–100), baseline then dark. */
  errors: Columns;
  /** Latency in ms: baseline p50, p95, p99, then dark p50, p95, p99. */
  latency: Columns;
  /** Whether any step has a request on either side. */
  empty: boolean;
}

const percent = (rate: number | null): number | null => (rate === null ? null : rate * 100);

/**
 * Shapes the per-minute series of `GET /flags/{key}/observations` for three charts with the same x
 * axis (so their cursors line up). A step without requests on a side is a gap on that side, not a zero:
 * a zero error rate or latency would be a claim the data does not make; its request rate is a real zero.
 */
export function goldenSignals(observations: Pick<ObservationSeries, "series">): GoldenSignals {
  const x = observations.series.map((p) => Math.floor(Date.parse(p.start) / 1000));
  const side = (pick: (p: ObservationSeries["series"][number]) => number | null) => observations.series.map(pick);
  return {
    rate: [x, side((p) => p.baseline.requestRate), side((p) => p.dark.requestRate)],
    errors: [x, side((p) => percent(p.baseline.errorRate)), side((p) => percent(p.dark.errorRate))],
    latency: [
      x,
      side((p) => p.baseline.p50),
      side((p) => p.baseline.p95),
      side((p) => p.baseline.p99),
      side((p) => p.dark.p50),
      side((p) => p.dark.p95),
      side((p) => p.dark.p99),
    ],
    empty: observations.series.every((p) => p.baseline.requests === 0 && p.dark.requests === 0),
  };
}

/** A flag change drawn as a vertical line on the charts (Unleash's change markers). */
export interface ChangeMarker {
  /** Unix seconds, the charts' x. */
  t: number;
  label: string;
}

/** The audit entries of a flag as chart markers, oldest first. */
export function changeMarkers(entries: readonly Pick<AuditEntry, "at" | "action" | "actor">[]): ChangeMarker[] {
  return entries.map((e) => ({ t: Date.parse(e.at) / 1000, label: `${e.action} by ${e.actor}` })).sort((a, b) => a.t - b.t);
}
