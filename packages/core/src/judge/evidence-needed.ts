import { EFFECT_MULTIPLIERS } from "./ratio-e-process.js";

/**
 * Dark requests (or pairs, in shadow mode) a test needs, in expectation, for its harm e-value to
 * reach `threshold` when dark's error rate is `factor` × the base rate: log(threshold · number of
 * alternatives) over the best alternative's expected log-gain per error, divided by the errors a
 * dark request brings. Null when the base rate is unknown or zero.
 */
export function darkRequestsNeeded(options: {
  /** The base error rate (per request). */
  baseRate: number | null;
  /** Dark's share of the requests (split); 0.5 in shadow mode, where both sides see each request. */
  darkShare: number;
  shadow: boolean;
  nullRatio: number;
  threshold: number;
  factor?: number;
}): number | null {
  const { baseRate: p, nullRatio: r0, threshold, shadow } = options;
  const factor = options.factor ?? 2;
  if (p === null || !(p > 0) || p >= 1 / factor) return null;
  // Share of events coming from dark under the alternative, and the weight a dark request carries.
  let truePi: number;
  let eventsPerDarkRequest: number;
  let darkWeight: number;
  if (shadow) {
    // Independent errors: dark-only p·f(1−p), base-only p(1−p·f); discordant pairs are the events.
    const darkOnly = factor * p * (1 - p);
    const baseOnly = p * (1 - factor * p);
    truePi = darkOnly / (darkOnly + baseOnly);
    eventsPerDarkRequest = darkOnly + baseOnly;
    darkWeight = 0.5;
  } else {
    const s = Math.min(Math.max(options.darkShare, 1e-6), 1 - 1e-6);
    truePi = (factor * s) / (factor * s + 1 - s);
    eventsPerDarkRequest = (p * (factor * s + 1 - s)) / s;
    darkWeight = s;
  }
  const pi = (r: number) => (r * darkWeight) / (r * darkWeight + 1 - darkWeight);
  const pi0 = pi(r0);
  let best = Number.POSITIVE_INFINITY;
  for (const m of EFFECT_MULTIPLIERS) {
    const pk = pi(r0 * m);
    const gain = truePi * Math.log(pk / pi0) + (1 - truePi) * Math.log((1 - pk) / (1 - pi0));
    if (gain > 0) best = Math.min(best, Math.log(threshold * EFFECT_MULTIPLIERS.length) / gain);
  }
  if (!Number.isFinite(best)) return null;
  return Math.ceil(best / eventsPerDarkRequest);
}

/**
 * Dark exposures a rate-ratio test (`RatioEProcess` with these multipliers) needs, in expectation,
 * for its e-value to reach `threshold` when dark's rate is `trueRatio` × the base rate: the same
 * reckoning as `darkRequestsNeeded`, for a null on either side (`below`: the test bets on r0 / m).
 */
export function ratioExposuresNeeded(options: {
  baseRate: number | null;
  darkShare: number;
  nullRatio: number;
  trueRatio: number;
  below: boolean;
  multipliers: readonly number[];
  threshold: number;
}): number | null {
  const { baseRate: p, nullRatio: r0, trueRatio: r, threshold, multipliers } = options;
  if (p === null || !(p > 0)) return null;
  const s = Math.min(Math.max(options.darkShare, 1e-6), 1 - 1e-6);
  const pi = (ratio: number) => (ratio * s) / (ratio * s + 1 - s);
  const truePi = pi(r);
  const pi0 = pi(r0);
  let best = Number.POSITIVE_INFINITY;
  for (const m of multipliers) {
    const pk = pi(options.below ? r0 / m : r0 * m);
    const gain = truePi * Math.log(pk / pi0) + (1 - truePi) * Math.log((1 - pk) / (1 - pi0));
    if (gain > 0) best = Math.min(best, Math.log(threshold * multipliers.length) / gain);
  }
  if (!Number.isFinite(best)) return null;
  const eventsPerDarkExposure = (p * (r * s + 1 - s)) / s;
  return Math.ceil(best / eventsPerDarkExposure);
}
