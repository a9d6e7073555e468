import type { SketchData } from "../latency-sketch.js";
import {
  addComparisonInto,
  addPairedInto,
  type ComparisonCounts,
  copyComparison,
  type ObservationWindow,
  type PairedCounts,
} from "../observation-window.js";

/** One side of one minute, as the judge reads it. */
export interface JudgeSide {
  requests: number;
  errors: number;
  /**
   * The side's latency, for tail exceedances: one sketch, or the sketches of the minute's windows
   * (their sum: the judge only counts requests above a threshold, which adds up across sketches,
   * so summing them bin by bin first would be work and garbage for nothing). Absent: no tail tests
   * that minute.
   */
  latency?: SketchData | readonly SketchData[] | undefined;
}

/** Error counts of one route in one minute, for the per-route diagnostics. */
export interface JudgeRouteMinute {
  baseline: { requests: number; errors: number };
  dark: { requests: number; errors: number };
  paired?: PairedCounts | undefined;
}

/**
 * One reported minute of one flag. A minute missing from the series is one nobody reported; a
 * minute present with zero requests was reported with no traffic.
 */
export interface JudgeMinute {
  /** The minute's start, ISO 8601. */
  start: string;
  /**
   * The share of traffic the flag meant dark to get this minute (0..1): in split mode the dark
   * share (tested against what came: sample-ratio mismatch), in shadow mode the mirrored share.
   * A change of it starts a new step. Absent: unknown (no SRM test; no step change).
   */
  targetShare?: number | undefined;
  baseline: JudgeSide;
  dark: JudgeSide;
  /** Shadow mode: outcomes of requests sent to both sides. */
  paired?: PairedCounts | undefined;
  /** Comparisons of responses, with the noise reference (stable vs stable) when there is one. */
  comparison?: ComparisonCounts | undefined;
  /** Per-route counts, for diagnostics (e-BH); the minute's totals are the sums over them. */
  routes?: Record<string, JudgeRouteMinute> | undefined;
}

/**
 * Turns one flag's observation windows (any sources and routes) into the judge's per-minute
 * series: windows of a minute add up, per-route counts are kept for diagnostics.
 *
 * @example
 * const minutes = judgeMinutes(await store.windows("checkout-v2", since), (start) => ramp.shareAt(start));
 * judge({ minutes, now }, settings);
 */
export function judgeMinutes(windows: Iterable<ObservationWindow>, targetShareAt?: (start: string) => number | undefined): JudgeMinute[] {
  const byMinute = new Map<string, JudgeMinute>();
  // The store returns windows by minute: most follow one of the same minute, found without a lookup.
  let lastStart: string | undefined;
  let m: JudgeMinute | undefined;
  for (const w of windows) {
    if (m === undefined || w.start !== lastStart) {
      lastStart = w.start;
      const start = canonicalStart(w.start);
      m = byMinute.get(start);
      if (m === undefined) {
        m = {
          start,
          baseline: { requests: 0, errors: 0, latency: [] },
          dark: { requests: 0, errors: 0, latency: [] },
          routes: {},
        };
        const share = targetShareAt?.(start);
        if (share !== undefined) m.targetShare = share;
        byMinute.set(start, m);
      }
    }
    addSide(m.baseline, w.baseline);
    addSide(m.dark, w.dark);
    // The minute owns its sums (copied from the first window, added into after), so that summing
    // 120 000 windows doesn't make a new object per window.
    m.paired = sumPaired(m.paired, w.paired);
    if (w.comparison.total > 0 || w.comparison.noiseTotal > 0) {
      if (m.comparison === undefined) m.comparison = copyComparison(w.comparison);
      else addComparisonInto(m.comparison, w.comparison);
    }
    const routes = m.routes as Record<string, JudgeRouteMinute>;
    const route = routes[w.route] ?? { baseline: { requests: 0, errors: 0 }, dark: { requests: 0, errors: 0 } };
    routes[w.route] = route;
    route.baseline.requests += w.baseline.requests;
    route.baseline.errors += w.baseline.errors;
    route.dark.requests += w.dark.requests;
    route.dark.errors += w.dark.errors;
    route.paired = sumPaired(route.paired, w.paired);
  }
  return [...byMinute.values()].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/**
 * Window starts as canonical ISO strings, remembered across calls: every flag judged in a pass has
 * windows for the same minutes, and parsing each start again was most of the cost of a pass.
 */
const canonicalStarts = new Map<string, string>();
const CANONICAL_STARTS_KEPT = 10_000;

function canonicalStart(raw: string): string {
  let start = canonicalStarts.get(raw);
  if (start === undefined) {
    // Bounded: past the bound the memory starts afresh (a pass then parses its minutes once more).
    if (canonicalStarts.size >= CANONICAL_STARTS_KEPT) canonicalStarts.clear();
    start = new Date(Date.parse(raw)).toISOString();
    canonicalStarts.set(raw, start);
  }
  return start;
}

/** `sum` (owned) with `b` added into it, or a copy of `b` to own. */
function sumPaired(sum: PairedCounts | undefined, b: PairedCounts | undefined): PairedCounts | undefined {
  if (b === undefined) return sum;
  if (sum === undefined) return { ...b };
  addPairedInto(sum, b);
  return sum;
}

/** A latency list (the sketches of a minute's windows) rather than one sketch. */
export function isSketchList(latency: SketchData | readonly SketchData[]): latency is readonly SketchData[] {
  return Array.isArray(latency);
}

function addSide(into: JudgeSide, side: ObservationWindow["baseline"]): void {
  into.requests += side.requests;
  into.errors += side.errors;
  if (side.latency.count > 0) (into.latency as SketchData[]).push(side.latency);
}
