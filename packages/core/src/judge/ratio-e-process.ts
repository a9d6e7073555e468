/**
 * The multipliers of the null ratio that the mixture bets on. The harm side bets on r0·m, the safe
 * side on r_max / m: a mixture over a few effect sizes loses little against the best single one
 * (at most log 5 in log-evidence) and needs no prior guess of the effect.
 */
export const EFFECT_MULTIPLIERS: readonly number[] = [1.25, 1.5, 2, 3, 5];

/** Which way the null is composite: `harm` tests r ≤ r0 (evidence for r > r0); `safe` tests r ≥ r0. */
export type Direction = "harm" | "safe";

/**
 * A one-sided conditional binomial e-process for a rate ratio r = rate(dark) / rate(base).
 *
 * Each minute t, given that `x_t + y_t` events happened, each one came from dark with probability
 * π_t(r) = r·a_t / (r·a_t + b_t), where a_t and b_t are the two sides' exposures that minute. The
 * e-process is the mixture E_T = Σ_k w_k Π_t (π_t(r_k)/π_t(r0))^x_t ((1−π_t(r_k))/(1−π_t(r0)))^y_t.
 * Under the null each factor has expectation at most 1 given the past, whatever the exposures and
 * the base rate were that minute (they are conditioned on), so P(sup_T E_T ≥ 1/α) ≤ α (Ville):
 * the judge may look every minute while a ramp changes the split and the base rate drifts.
 *
 * Kept in log space: one running log-product per alternative, O(alternatives) per minute.
 *
 * @example
 * const e = new RatioEProcess({ nullRatio: 1.1, direction: "harm" });
 * e.update({ darkEvents: 9, darkExposure: 500, baseEvents: 3, baseExposure: 500 });
 * e.logE; // log-evidence that dark's rate exceeds 1.1 × base
 */
export class RatioEProcess {
  readonly nullRatio: number;
  readonly alternatives: readonly number[];
  private readonly logProducts: Float64Array;
  /** log(r_k / r0) per alternative. */
  private readonly logRatios: Float64Array;
  private readonly logWeight: number;
  /** Events counted so far (both sides), for display. */
  events = 0;
  /**
   * The largest log E_t so far. Crossing 1/α at any minute is a valid rejection (that is what
   * anytime-valid means), so a crossing stays crossed when the e-value later falls back.
   */
  maxLogE = 0;

  constructor(options: { nullRatio: number; direction: Direction; multipliers?: readonly number[] }) {
    const multipliers = options.multipliers ?? EFFECT_MULTIPLIERS;
    this.nullRatio = options.nullRatio;
    this.alternatives = multipliers.map((m) => (options.direction === "harm" ? options.nullRatio * m : options.nullRatio / m));
    this.logProducts = new Float64Array(this.alternatives.length);
    this.logRatios = Float64Array.from(this.alternatives, (r) => Math.log(r / options.nullRatio));
    this.logWeight = -Math.log(this.alternatives.length);
  }

  /** Adds one minute. A minute where one side had no exposure or nothing happened carries no information. */
  update(minute: { darkEvents: number; darkExposure: number; baseEvents: number; baseExposure: number }): void {
    const { darkEvents: x, baseEvents: y, darkExposure: a, baseExposure: b } = minute;
    if (x + y <= 0 || !(a > 0) || !(b > 0)) return;
    this.events += x + y;
    // log(π(r_k)/π(r0)) = log(r_k/r0) + log((r0·a + b)/(r_k·a + b)) and log((1−π(r_k))/(1−π(r0))) =
    // log((r0·a + b)/(r_k·a + b)): one logarithm per alternative (this runs for every metric, minute and flag).
    const logTotal0 = Math.log(this.nullRatio * a + b);
    let top = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < this.alternatives.length; k++) {
      const logShrink = logTotal0 - Math.log((this.alternatives[k] as number) * a + b);
      const product = (this.logProducts[k] as number) + x * (this.logRatios[k] as number) + (x + y) * logShrink;
      this.logProducts[k] = product;
      if (product > top) top = product;
    }
    // The mixture (weights summing to 1) is at most its largest term: when that is no new high, the
    // sum cannot be one either, and its exponentials are not needed (the usual case under the null).
    if (top > this.maxLogE) this.maxLogE = Math.max(this.maxLogE, this.logE);
  }

  /** log E_T, the log of the mixture e-value so far (0 before any information). */
  get logE(): number {
    return logSumExp(this.logProducts, this.logWeight);
  }
}

/** log Σ_k exp(values[k] + shift), without overflow. */
export function logSumExp(values: ArrayLike<number>, shift = 0): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i] as number);
  if (max === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp((values[i] as number) - max);
  return max + Math.log(sum) + shift;
}

/** An e-value from its log, finite for display (e^709 is the largest double). */
export function eValue(logE: number): number {
  return logE >= 709 ? Number.MAX_VALUE : Math.exp(logE);
}
