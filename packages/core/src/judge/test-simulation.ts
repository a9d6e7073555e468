import { LatencySketch, SKETCH_RELATIVE_ACCURACY, type SketchData } from "../latency-sketch.js";
import type { PairedCounts } from "../observation-window.js";
import type { BusinessMetricArm, BusinessMetricDefinition, BusinessMetricMinute } from "./business-metric.js";
import type { JudgeMinute } from "./judge-input.js";

export { seededRandom } from "../seeded-random.js";

export function normal(random: () => number): number {
  // Box–Muller; 1 − u keeps the log away from 0.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * A Binomial(n, p) draw: exact inversion while the mean is small (where sparse error counts live
 * and the normal shape is wrong), a rounded normal beyond a mean of 30 on both tails.
 */
export function binomial(random: () => number, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(random, n, 1 - p);
  const mean = n * p;
  if (mean >= 30) {
    const x = Math.round(mean + Math.sqrt(mean * (1 - p)) * normal(random));
    return Math.min(n, Math.max(0, x));
  }
  let u = random();
  let pmf = (1 - p) ** n;
  let k = 0;
  const odds = p / (1 - p);
  while (u > pmf && k < n) {
    u -= pmf;
    pmf *= ((n - k) / (k + 1)) * odds;
    k++;
  }
  return k;
}

/** Paired counters of `n` requests sent to both sides, errors independent. */
export function pairedMinute(
  random: () => number,
  options: { n: number; baseRate: number; darkRate: number; slower?: number; faster?: number },
): PairedCounts {
  const { n, baseRate: pb, darkRate: pd } = options;
  const both = binomial(random, n, pb * pd);
  const pDarkOnly = pd * (1 - pb);
  const pBaseOnly = pb * (1 - pd);
  const darkOnly = binomial(random, n - both, pDarkOnly / (1 - pb * pd));
  const baseOnly = binomial(random, n - both - darkOnly, pBaseOnly / (1 - pb * pd - pDarkOnly));
  const ps = options.slower ?? 0.2;
  const pf = options.faster ?? 0.2;
  const slower = binomial(random, n, ps);
  const faster = binomial(random, n - slower, pf / (1 - ps));
  return { bothErr: both, darkOnlyErr: darkOnly, baseOnlyErr: baseOnly, slower, faster, tie: n - slower - faster };
}

/** A shadow-mode minute of `n` pairs. */
export function shadowMinute(random: () => number, start: number, options: { n: number; baseRate: number; darkRate: number }): JudgeMinute {
  const paired = pairedMinute(random, options);
  return {
    start: new Date(start * 60_000).toISOString(),
    targetShare: 1,
    baseline: { requests: options.n, errors: paired.bothErr + paired.baseOnlyErr },
    dark: { requests: options.n, errors: paired.bothErr + paired.darkOnlyErr },
    paired,
  };
}

/** A split-mode minute: `n` requests, a `share` of them to dark. */
export function splitMinute(
  random: () => number,
  start: number,
  options: { n: number; share: number; baseRate: number; darkRate: number },
): JudgeMinute {
  const dark = binomial(random, options.n, options.share);
  const base = options.n - dark;
  return {
    start: new Date(start * 60_000).toISOString(),
    targetShare: options.share,
    baseline: { requests: base, errors: binomial(random, base, options.baseRate) },
    dark: { requests: dark, errors: binomial(random, dark, options.darkRate) },
  };
}

/** A latency sketch of `n` log-normal latencies (median `medianMs`, log-sd `sigma`), the slowest `tailShare` stretched by `tailFactor`. */
export function latencySketch(
  random: () => number,
  options: { n: number; medianMs: number; sigma: number; tailShare?: number; tailFactor?: number },
): LatencySketch {
  const sketch = new LatencySketch();
  const cut = options.tailShare === undefined ? Number.POSITIVE_INFINITY : quantileZ(1 - options.tailShare);
  for (let i = 0; i < options.n; i++) {
    const z = normal(random);
    const ms = options.medianMs * Math.exp(options.sigma * z);
    sketch.record(z > cut ? ms * (options.tailFactor ?? 1) : ms);
  }
  return sketch;
}

/** z with P(Z ≤ z) = q, for the few quantiles the simulations use. */
function quantileZ(q: number): number {
  const table: Record<string, number> = { "0.9": 1.2816, "0.95": 1.6449, "0.99": 2.3263 };
  const z = table[q.toFixed(2).replace(/0$/, "")];
  if (z === undefined) throw new Error(`no z for ${q}`);
  return z;
}

/**
 * The invalid judge the simulations measure ours against: a pooled two-proportion z-test on the
 * cumulative counts, looked at every minute, one-sided at α.
 */
export function pooledZ(darkErrors: number, darkRequests: number, baseErrors: number, baseRequests: number): number {
  if (darkRequests === 0 || baseRequests === 0) return 0;
  const pooled = (darkErrors + baseErrors) / (darkRequests + baseRequests);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / darkRequests + 1 / baseRequests));
  return se === 0 ? 0 : (darkErrors / darkRequests - baseErrors / baseRequests) / se;
}

const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);

/** Φ, the standard normal CDF (Abramowitz–Stegun 7.1.26 through erf; error < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

interface BinShape {
  low: number;
  /** P(bin k | not in a bin before k), so that successive binomials draw a multinomial. */
  conditional: number[];
}

const shapes = new Map<string, BinShape>();

/**
 * The bins a latency distribution falls into, up to +5 σ (beyond: the last bin). Everything below
 * the 80th percentile is lumped into one bin: the judge reads only the tail (its thresholds sit at
 * the p95 and p99), and drawing 400 bins nobody reads would make the simulations five times slower.
 */
function binShape(options: { medianMs: number; sigma: number; tailShare?: number | undefined; tailFactor?: number | undefined }): BinShape {
  const key = JSON.stringify([options.medianMs, options.sigma, options.tailShare, options.tailFactor]);
  const known = shapes.get(key);
  if (known !== undefined) return known;
  const { medianMs, sigma } = options;
  const f = options.tailFactor ?? 1;
  const c = options.tailShare === undefined ? Number.POSITIVE_INFINITY : quantileZ(1 - options.tailShare);
  const z = (v: number) => Math.log(v / medianMs) / sigma;
  // P(latency ≤ v) when the slowest share (z > c) is stretched by f.
  const cdf = (v: number) => normalCdf(Math.min(z(v), c)) + Math.max(0, normalCdf(z(v / f)) - normalCdf(c));
  const low = Math.floor(Math.log(medianMs * Math.exp(0.8416 * sigma)) / Math.log(GAMMA));
  const high = Math.ceil(Math.log(medianMs * f * Math.exp(5 * sigma)) / Math.log(GAMMA));
  const conditional: number[] = [];
  let before = 0;
  for (let key = low; key <= high; key++) {
    const upTo = key === high ? 1 : cdf(GAMMA ** key);
    conditional.push(before >= 1 ? 1 : Math.min(1, Math.max(0, (upTo - before) / (1 - before))));
    before = upTo;
  }
  const shape = { low, conditional };
  shapes.set(key, shape);
  return shape;
}

/**
 * The sketch that recording `n` such latencies would give, drawn bin by bin (a multinomial as
 * successive binomials) instead of value by value: the same distribution of the tail's bin counts,
 * many times faster, so that simulations can afford hundreds of runs with latency.
 */
export function sampledSketch(
  random: () => number,
  options: { n: number; medianMs: number; sigma: number; tailShare?: number; tailFactor?: number },
): SketchData {
  const { low, conditional } = binShape(options);
  const bins: number[] = [];
  let left = options.n;
  let sum = 0;
  let first = -1;
  for (let i = 0; i < conditional.length && left > 0; i++) {
    const count = binomial(random, left, conditional[i] as number);
    left -= count;
    bins.push(count);
    if (count > 0) {
      if (first < 0) first = i;
      sum += (count * 2 * GAMMA ** (low + i)) / (1 + GAMMA);
    }
  }
  if (first < 0) return { count: 0, sum: 0, min: null, max: null, zeroCount: 0, offset: 0, bins: [] };
  const value = (i: number) => (2 * GAMMA ** (low + i)) / (1 + GAMMA);
  return {
    count: options.n,
    sum,
    min: value(first),
    max: value(bins.length - 1),
    zeroCount: 0,
    offset: low + first,
    bins: bins.slice(first),
  };
}

/** One arm of a simulated business minute: Binomial conversions, one event each, log-normal values. */
export function businessArm(
  random: () => number,
  options: { exposed: number; rate: number; valueMean?: number; valueSigma?: number },
): BusinessMetricArm {
  const converted = binomial(random, options.exposed, options.rate);
  let sum = 0;
  let sumSq = 0;
  if (options.valueMean !== undefined) {
    const sigma = options.valueSigma ?? 0.5;
    // A log-normal with this mean: its median is mean·e^(−σ²/2).
    const median = options.valueMean * Math.exp((-sigma * sigma) / 2);
    for (let i = 0; i < converted; i++) {
      const v = median * Math.exp(sigma * normal(random));
      sum += v;
      sumSq += v * v;
    }
  }
  return { exposed: options.exposed, converted, events: converted, sum, sumSq };
}

/** A business minute: `n` exposed subjects, a `share` of them on dark. */
export function businessMinute(
  random: () => number,
  start: number,
  options: { n: number; share: number; baseRate: number; darkRate: number; baseValue?: number; darkValue?: number; valueSigma?: number },
): BusinessMetricMinute {
  const dark = binomial(random, options.n, options.share);
  const sigma = options.valueSigma;
  return {
    start: new Date(start * 60_000).toISOString(),
    base: businessArm(random, {
      exposed: options.n - dark,
      rate: options.baseRate,
      ...(options.baseValue === undefined ? {} : { valueMean: options.baseValue }),
      ...(sigma === undefined ? {} : { valueSigma: sigma }),
    }),
    dark: businessArm(random, {
      exposed: dark,
      rate: options.darkRate,
      ...(options.darkValue === undefined ? {} : { valueMean: options.darkValue }),
      ...(sigma === undefined ? {} : { valueSigma: sigma }),
    }),
  };
}

/** The invalid judge of a mean the simulations measure ours against: Welch's z on the cumulative sums, looked at every minute. */
export function pooledMeanZ(dark: BusinessMetricArm, base: BusinessMetricArm): number {
  if (dark.exposed === 0 || base.exposed === 0) return 0;
  const md = dark.sum / dark.exposed;
  const mb = base.sum / base.exposed;
  const vd = dark.sumSq / dark.exposed - md * md;
  const vb = base.sumSq / base.exposed - mb * mb;
  const se = Math.sqrt(vd / dark.exposed + vb / base.exposed);
  return se > 0 ? (md - mb) / se : 0;
}

/** The value metric of the simulations and tests: revenue per exposed subject, higher is better, no tolerance. */
export const REVENUE: BusinessMetricDefinition = {
  key: "revenue",
  event: "purchase",
  kind: "value",
  direction: "up",
  tolerance: 0,
  critical: true,
};
