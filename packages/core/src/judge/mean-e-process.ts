import { logSumExp } from "./ratio-e-process.js";

/**
 * The relative effects (beyond the null, in units of the baseline mean per exposure) that the
 * mixture bets on: from 1 % to 50 %, so that no prior guess of the effect is needed; the mixture
 * costs at most log 6 in log-evidence against the best single one.
 */
export const MEAN_EFFECTS: readonly number[] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5];

/** `lower`: evidence that dark's mean is below c × base's (H0: μ_d ≥ c·μ_b); `higher`: above it (H0: μ_d ≤ c·μ_b). */
export type MeanSide = "lower" | "higher";

/** One minute of a value metric: each arm's Σ value and its exposures. */
export interface MeanMinute {
  darkSum: number;
  darkExposure: number;
  baseSum: number;
  baseExposure: number;
}

/**
 * Estimates fixed before the minute is seen (from earlier minutes only): the second moment of the
 * value per exposure (an upper bound of its variance) and the baseline mean per exposure.
 */
export interface MeanPlugIn {
  secondMoment: number;
  baseMean: number;
}

/**
 * A one-sided e-process for a ratio of means per exposure, μ_d against c·μ_b, over per-minute
 * differences: a predictable plug-in sub-Gaussian (Gaussian) supermartingale mixed over a few
 * effect sizes.
 *
 * Each minute t gives X_t = ±(m_d − c·m_b), m = Σ value / exposures of each arm, signed so that
 * E[X_t] ≤ 0 under the null. With σ_t² = s²(1/a_d + c²/a_b), s² a second moment per exposure
 * estimated from EARLIER minutes (predictable), and λ_{t,k} = δ_k·μ̂_b / σ_t² (the λ that is best
 * when the mean is off by δ_k·μ̂_b, also predictable), each factor exp(λ X_t − λ²σ_t²/2) has
 * expectation at most 1 given the past when X_t is normal with variance ≤ σ_t²: the product is a
 * test supermartingale (Howard, Ramdas, McAuliffe & Sekhon 2021, "Time-uniform, nonparametric,
 * nonasymptotic confidence sequences", sub-Gaussian case; predictable plug-in λ as in Waudby-Smith
 * & Ramdas 2024, "Estimating means of bounded random variables by betting"), and the average over
 * k is one too, so P(sup E_t ≥ 1/α) ≤ α by Ville's inequality.
 *
 * The assumptions, stated where the docs state them: a minute's mean is normal (central limit over
 * the minute's exposures: asymptotic validity in the sense of Waudby-Smith, Arbour, Sinha, Kennedy
 * & Ramdas 2024, "Time-uniform central limit theory and asymptotic confidence sequences"), and the
 * variance of Σ value is at most Σ value² (exact for a compound Poisson sum of independent events,
 * conservative for at most one event per subject; a subject's many correlated events understate it).
 */
export class MeanRatioEProcess {
  readonly nullRatio: number;
  private readonly sign: number;
  private readonly effects: readonly number[];
  private readonly logProducts: Float64Array;
  private readonly logWeight: number;
  /** Minutes that were tested (had a plug-in estimate and exposure on both arms). */
  minutes = 0;
  /** The largest log E_t so far: a crossing stays crossed (anytime-valid). */
  maxLogE = 0;

  constructor(options: { nullRatio: number; side: MeanSide; effects?: readonly number[] }) {
    this.nullRatio = options.nullRatio;
    this.sign = options.side === "higher" ? 1 : -1;
    this.effects = options.effects ?? MEAN_EFFECTS;
    this.logProducts = new Float64Array(this.effects.length);
    this.logWeight = -Math.log(this.effects.length);
  }

  update(minute: MeanMinute, plugIn: MeanPlugIn): void {
    const { darkSum, darkExposure: a, baseSum, baseExposure: b } = minute;
    const { secondMoment: s2, baseMean } = plugIn;
    if (!(a > 0) || !(b > 0) || !(s2 > 0) || !(baseMean > 0)) return;
    const c = this.nullRatio;
    const x = this.sign * (darkSum / a - (c * baseSum) / b);
    const variance = s2 * (1 / a + (c * c) / b);
    this.minutes++;
    for (let k = 0; k < this.effects.length; k++) {
      const lambda = ((this.effects[k] as number) * baseMean) / variance;
      this.logProducts[k] = (this.logProducts[k] as number) + lambda * x - (lambda * lambda * variance) / 2;
    }
    this.maxLogE = Math.max(this.maxLogE, this.logE);
  }

  get logE(): number {
    return logSumExp(this.logProducts, this.logWeight);
  }
}

/**
 * Dark exposures the mean test needs, in expectation, to reach `threshold` when dark's mean is off
 * by `excess` × the base mean beyond the null (in the tested direction): log(threshold · effects)
 * over the best effect's expected log-gain per dark exposure. Null when nothing is known yet.
 */
export function meanExposuresNeeded(options: {
  baseMean: number | null;
  secondMoment: number | null;
  darkShare: number;
  nullRatio: number;
  excess: number;
  threshold: number;
}): number | null {
  const { baseMean: mu, secondMoment: s2, nullRatio: c, excess, threshold } = options;
  if (mu === null || s2 === null || !(mu > 0) || !(s2 > 0) || !(excess > 0)) return null;
  const s = Math.min(Math.max(options.darkShare, 1e-6), 1 - 1e-6);
  // σ² per minute is s²(1/a_d + c²/a_b) with a_b = a_d(1 − s)/s: the gain adds up in dark exposures.
  const perExposure = (mu * mu) / (s2 * (1 + (c * c * s) / (1 - s)));
  let best = 0;
  for (const d of MEAN_EFFECTS) best = Math.max(best, (d * excess - (d * d) / 2) * perExposure);
  if (!(best > 0)) return null;
  return Math.ceil(Math.log(threshold * MEAN_EFFECTS.length) / best);
}
