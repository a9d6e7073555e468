import {
  type ComparisonCounts,
  LatencySketch,
  type MismatchSample,
  type ObservationSource,
  type ObservationWindow,
  type PairedCounts,
  RESERVOIR_CAPACITY,
  type SideWindow,
} from "@darklaunch/core";

/** One side of a window holding exactly these latencies, `errors` of them failed. */
export function side(latencies: readonly number[], errors = 0): SideWindow {
  const sketch = new LatencySketch();
  for (const ms of latencies) sketch.record(ms);
  return { requests: latencies.length, errors, latency: sketch.toJSON(), reservoir: latencies.slice(0, RESERVOIR_CAPACITY) };
}

/** `n` latencies: `from`, `from + by`, … */
export function range(n: number, from = 1, by = 1): number[] {
  return Array.from({ length: n }, (_, i) => from + i * by);
}

export interface WindowSpec {
  source?: ObservationSource;
  route?: string;
  baseline?: readonly number[];
  dark?: readonly number[];
  baselineErrors?: number;
  darkErrors?: number;
  comparison?: Partial<ComparisonCounts>;
  samples?: MismatchSample[];
  /** Shadow mode's paired counters (their pairs must not exceed either side's requests). */
  paired?: PairedCounts;
}

/** A valid window of `flag` for the minute starting at `start`; counts default to 10 fast requests per side. */
export function window(flag: string, start: string | number, spec: WindowSpec = {}): ObservationWindow {
  const total = spec.comparison?.total ?? 0;
  const mismatched = spec.comparison?.mismatched ?? 0;
  const w: ObservationWindow = {
    flag,
    source: spec.source ?? "proxy",
    route: spec.route ?? "GET /items",
    start: typeof start === "number" ? new Date(start).toISOString() : start,
    baseline: side(spec.baseline ?? range(10), spec.baselineErrors ?? 0),
    dark: side(spec.dark ?? range(10), spec.darkErrors ?? 0),
    comparison: { total, matched: total - mismatched, mismatched, noiseTotal: 0, fields: {}, noise: {}, ...spec.comparison },
    samples: spec.samples ?? [],
  };
  if (spec.paired !== undefined) w.paired = spec.paired;
  return w;
}

/** A mismatch sample at `at` with one changed field. */
export function sample(at: string | number, path: string, baseline: unknown, dark: unknown): MismatchSample {
  return {
    at: typeof at === "number" ? new Date(at).toISOString() : at,
    requestId: `req-${path}-${String(at)}`,
    method: "GET",
    url: "/items/1",
    baselineStatus: 200,
    darkStatus: 200,
    differences: [{ path, location: path, kind: "changed", baseline, dark }],
  };
}

/** The start of the minute `minutesAgo` minutes before now, in epoch ms. */
export function minutesAgo(minutes: number, now = Date.now()): number {
  return Math.floor(now / 60_000) * 60_000 - minutes * 60_000;
}
