import type { Random } from "./latency-reservoir.js";
import { LatencySketch } from "./latency-sketch.js";
import { DEFAULT_NOISE_THRESHOLDS, isSignificant, type NoiseThresholds } from "./noise-rule.js";
import {
  type ComparisonCounts,
  emptyComparison,
  emptySide,
  type MismatchSample,
  mergeComparisons,
  mergeSides,
  type ObservationWindow,
  type SideWindow,
} from "./observation-window.js";

/** Windows of any keys added together: what a period or a time-series step holds. */
export interface WindowTotals {
  baseline: SideWindow;
  dark: SideWindow;
  comparison: ComparisonCounts;
  samples: MismatchSample[];
}

/**
 * Adds up windows whatever their flag, source, route or minute: counts sum, sketches merge,
 * reservoirs stay uniform, and up to `maxSamples` samples are kept, newest first.
 */
export function totalWindows(windows: Iterable<ObservationWindow>, maxSamples = 20, random: Random = Math.random): WindowTotals {
  let baseline = emptySide();
  let dark = emptySide();
  let comparison = emptyComparison();
  const samples: MismatchSample[] = [];
  for (const w of windows) {
    baseline = mergeSides(baseline, w.baseline, random);
    dark = mergeSides(dark, w.dark, random);
    comparison = mergeComparisons(comparison, w.comparison);
    samples.push(...w.samples);
  }
  samples.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return { baseline, dark, comparison, samples: samples.slice(0, maxSamples) };
}

/** One side over a period: counts, error rate and latency quantiles (ms). Rates are null without requests. */
export interface SideSummary {
  requests: number;
  errors: number;
  errorRate: number | null;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export function summarizeSide(side: SideWindow): SideSummary {
  const sketch = LatencySketch.from(side.latency);
  return {
    requests: side.requests,
    errors: side.errors,
    errorRate: side.requests === 0 ? null : side.errors / side.requests,
    mean: sketch.count === 0 ? null : sketch.sum / sketch.count,
    p50: sketch.quantile(0.5),
    p95: sketch.quantile(0.95),
    p99: sketch.quantile(0.99),
  };
}

/** Comparisons over a period; the divergence rate is mismatched / total, null without comparisons. */
export interface ComparisonSummary {
  total: number;
  matched: number;
  mismatched: number;
  divergenceRate: number | null;
}

export function summarizeComparison(counts: ComparisonCounts): ComparisonSummary {
  return {
    total: counts.total,
    matched: counts.matched,
    mismatched: counts.mismatched,
    divergenceRate: counts.total === 0 ? null : counts.mismatched / counts.total,
  };
}

/** One field path over a period: how often it differed dark vs baseline, and baseline vs baseline. */
export interface FieldReport {
  path: string;
  differences: number;
  rate: number;
  noise: number;
  noiseRate: number | null;
  /** Diffy's rule over the whole period: a real difference rather than noise. */
  significant: boolean;
}

/** Every field that differed, most frequent first, judged with Diffy's rule over the period's totals. */
export function fieldReports(counts: ComparisonCounts, thresholds: NoiseThresholds = DEFAULT_NOISE_THRESHOLDS): FieldReport[] {
  const paths = new Set([...Object.keys(counts.fields), ...Object.keys(counts.noise)]);
  const reports: FieldReport[] = [];
  for (const path of paths) {
    const raw = counts.fields[path] ?? 0;
    const noise = counts.noise[path] ?? 0;
    reports.push({
      path,
      differences: raw,
      rate: counts.total === 0 ? 0 : raw / counts.total,
      noise,
      noiseRate: counts.noiseTotal === 0 ? null : noise / counts.noiseTotal,
      significant: isSignificant({ raw, total: counts.total, noise, noiseTotal: counts.noiseTotal }, thresholds),
    });
  }
  return reports.sort((a, b) => b.differences - a.differences || (a.path < b.path ? -1 : 1));
}
