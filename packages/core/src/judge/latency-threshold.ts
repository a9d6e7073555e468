import { LatencySketch, SKETCH_RELATIVE_ACCURACY, type SketchData } from "../latency-sketch.js";
import { isSketchList } from "./judge-input.js";

/** γ of the sketches' logarithmic mapping: bucket k holds latencies in (γ^(k−1), γ^k]. */
const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);

/**
 * A latency threshold τ that is a bucket boundary of every sketch, γ^key: counting requests above
 * it is exact from the bins (no interpolation), so two sides' exceedance counts are comparable.
 */
export interface LatencyThreshold {
  /** Requests in buckets with a key above this one are above τ. */
  key: number;
  /** τ in milliseconds. */
  ms: number;
  /** The quantile of the baseline τ was taken from (0.95, 0.99). */
  quantile: number;
}

/** The bucket boundary nearest (in log scale) to the baseline's quantile `q`; undefined for an empty sketch. */
export function thresholdAt(baseline: SketchData, quantile: number): LatencyThreshold | undefined {
  const value = LatencySketch.from(baseline).quantile(quantile);
  if (value === null || !(value > 0)) return undefined;
  const key = Math.round(Math.log(value) / LOG_GAMMA);
  return { key, ms: GAMMA ** key, quantile };
}

/** Requests of a sketch (or of a list of sketches, summed) above τ: the bins past τ's key (zero-latency requests never are). */
export function countAbove(latency: SketchData | readonly SketchData[], threshold: LatencyThreshold): number {
  if (isSketchList(latency)) {
    let count = 0;
    for (const sketch of latency) count += countAbove(sketch, threshold);
    return count;
  }
  const bins = latency.bins;
  let count = 0;
  for (let i = Math.max(0, threshold.key + 1 - latency.offset); i < bins.length; i++) count += bins[i] as number;
  return count;
}

/** Requests in a sketch, or in a list of sketches. */
export function requestCount(latency: SketchData | readonly SketchData[]): number {
  if (!isSketchList(latency)) return latency.count;
  let count = 0;
  for (const sketch of latency) count += sketch.count;
  return count;
}
