import { type Direction, EFFECT_MULTIPLIERS, logSumExp, RatioEProcess } from "./ratio-e-process.js";

/** Ratios the anytime-valid band is read from: 49 points from 0.1 to 10, about 10 % apart. */
const BAND_GRID: readonly number[] = Array.from({ length: 49 }, (_, i) => 10 ** (-1 + i / 24));

/** One minute of a ratio metric: events on each side and the exposure they came from. */
export interface RatioCounts {
  darkEvents: number;
  darkExposure: number;
  baseEvents: number;
  baseExposure: number;
}

/**
 * A rate-ratio metric over minutes: its harm and safe e-processes, a Mantel–Haenszel estimate of
 * the ratio (stratified by minute, so that drifting base rates and changing splits do not bias it)
 * and, on request, an anytime-valid band for the ratio.
 */
export class RatioMetric {
  readonly harm: RatioEProcess;
  readonly safe: RatioEProcess | undefined;
  darkEvents = 0;
  darkExposure = 0;
  baseEvents = 0;
  baseExposure = 0;
  minutes = 0;
  private mhNumerator = 0;
  private mhDenominator = 0;
  private readonly bandLogLikelihood: Float64Array | undefined;

  constructor(options: {
    harmRatio: number;
    safeRatio?: number | undefined;
    band?: boolean;
    multipliers?: readonly number[];
    /** Harm is a ratio BELOW harmRatio (a business metric where higher is better); safe then proves it above safeRatio. */
    harmBelow?: boolean;
  }) {
    const multipliers = options.multipliers ?? EFFECT_MULTIPLIERS;
    const harmDirection: Direction = options.harmBelow === true ? "safe" : "harm";
    const safeDirection: Direction = options.harmBelow === true ? "harm" : "safe";
    this.harm = new RatioEProcess({ nullRatio: options.harmRatio, direction: harmDirection, multipliers });
    this.safe =
      options.safeRatio === undefined
        ? undefined
        : new RatioEProcess({ nullRatio: options.safeRatio, direction: safeDirection, multipliers });
    this.bandLogLikelihood = options.band === true ? new Float64Array(BAND_GRID.length) : undefined;
  }

  update(counts: RatioCounts): void {
    const { darkEvents: x, darkExposure: a, baseEvents: y, baseExposure: b } = counts;
    this.minutes++;
    this.darkEvents += x;
    this.darkExposure += a;
    this.baseEvents += y;
    this.baseExposure += b;
    if (!(a > 0) || !(b > 0)) return;
    this.harm.update(counts);
    this.safe?.update(counts);
    this.mhNumerator += (x * b) / (a + b);
    this.mhDenominator += (y * a) / (a + b);
    const band = this.bandLogLikelihood;
    if (band !== undefined && x + y > 0) {
      for (let j = 0; j < BAND_GRID.length; j++) {
        const ra = (BAND_GRID[j] as number) * a;
        band[j] = (band[j] as number) + x * Math.log(ra / (ra + b)) + y * Math.log(b / (ra + b));
      }
    }
  }

  /** The ratio dark/base (Mantel–Haenszel over minutes); null until both sides had events. */
  get estimate(): number | null {
    return this.mhDenominator > 0 && this.mhNumerator > 0 ? this.mhNumerator / this.mhDenominator : this.mhDenominator > 0 ? 0 : null;
  }

  /**
   * The anytime-valid (1 − α) band for the ratio: the grid ratios ρ whose likelihood is within
   * log(1/α) of the uniform mixture over the grid. The mixture over ρ' of L(ρ')/L(ρ) is a
   * martingale under ρ, so by Ville's inequality the true ratio (on the grid) leaves the band with
   * probability at most α, however often it is looked at. Null before any event.
   */
  band(alpha: number): [number, number] | null {
    const ll = this.bandLogLikelihood;
    if (ll === undefined || this.darkEvents + this.baseEvents === 0) return null;
    const logMixture = logSumExp(ll, -Math.log(ll.length));
    const cut = logMixture - Math.log(1 / alpha);
    let low = Number.POSITIVE_INFINITY;
    let high = 0;
    for (let j = 0; j < BAND_GRID.length; j++) {
      if ((ll[j] as number) >= cut) {
        low = Math.min(low, BAND_GRID[j] as number);
        high = Math.max(high, BAND_GRID[j] as number);
      }
    }
    if (high === 0) return null;
    // A band touching the grid's end is open on that side.
    return [low === BAND_GRID[0] ? 0 : low, high === BAND_GRID[BAND_GRID.length - 1] ? Number.POSITIVE_INFINITY : high];
  }
}
