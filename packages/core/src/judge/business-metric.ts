import type { MetricDefinition } from "../protocol/metrics.js";
import { ratioExposuresNeeded } from "./evidence-needed.js";
import type { JudgeSettings } from "./judge-settings.js";
import { MeanRatioEProcess, meanExposuresNeeded } from "./mean-e-process.js";
import { RatioMetric } from "./ratio-metric.js";

/**
 * What the judge reads of a metric definition (a whole `MetricDefinition` fits): its key, the
 * tracked event, its kind, which way is better, the relative tolerance and whether it is critical.
 * `value` is judged as Σ value per exposed subject (see `BusinessMetric`).
 */
export type BusinessMetricDefinition = Pick<MetricDefinition, "key" | "event" | "kind" | "direction" | "tolerance" | "critical">;

/** One arm of one minute of a business metric. */
export interface BusinessMetricArm {
  /** Distinct subjects exposed to this arm in the minute. */
  exposed: number;
  /** Distinct exposed subjects with ≥ 1 event. */
  converted: number;
  /** Event count. */
  events: number;
  /** Σ value and Σ value² of the events' values. */
  sum: number;
  sumSq: number;
}

export interface BusinessMetricMinute {
  /** The minute's start, ISO 8601. */
  start: string;
  base: BusinessMetricArm;
  dark: BusinessMetricArm;
}

export interface BusinessMetricInput {
  definition: BusinessMetricDefinition;
  /** Reported minutes, any order. */
  minutes: readonly BusinessMetricMinute[];
}

/** The ratios a business rate test bets on beyond its null: small effects matter for sales. */
export const BUSINESS_MULTIPLIERS: readonly number[] = [1.03, 1.06, 1.1, 1.2, 1.5, 2];

/** The lowest null ratio a safe side of a higher-is-better metric tests (a margin of 95 % is no promise at all). */
const MIN_SAFE_RATIO = 0.05;

/** An arm with nothing yet, to add minutes into. */
export function emptyArm(): BusinessMetricArm {
  return { exposed: 0, converted: 0, events: 0, sum: 0, sumSq: 0 };
}

/** Adds `arm`'s counts into `into` (counts, distinct counts per minute and sums all add up). */
export function addArmInto(into: BusinessMetricArm, arm: BusinessMetricArm): void {
  into.exposed += arm.exposed;
  into.converted += arm.converted;
  into.events += arm.events;
  into.sum += arm.sum;
  into.sumSq += arm.sumSq;
}

/**
 * One business metric over the judge's walk: its harm and safe e-processes (direction-aware), a
 * Mantel–Haenszel estimate of dark/base per exposure, and the counts the verdict shows.
 *
 * - conversion: successes are converted subjects, trials exposed subjects; count: events per
 *   exposure (a Poisson rate ratio). Both are the conditional binomial rate-ratio e-process of the
 *   errors test (`RatioEProcess`): per minute, given the minute's total, each success came from dark
 *   with probability r·a/(r·a + b) from the arms' exposures a and b.
 * - value: Σ value per exposure (revenue per exposed subject, which moves with conversion and with
 *   basket size both), tested by `MeanRatioEProcess` on per-minute differences with a predictable
 *   variance estimate.
 *
 * Harm for `up` (higher is better): dark/base < 1 − tolerance; safe: dark/base > 1 − tolerance −
 * safeMargin. For `down` the mirror image: harm above 1 + tolerance, safe below 1 + tolerance + safeMargin.
 */
export class BusinessMetric {
  readonly harmRatio: number;
  readonly safeRatio: number;
  /** Totals of every minute added, warm-up included (the value test's plug-in reads them before adding the minute). */
  readonly dark = emptyArm();
  readonly base = emptyArm();
  /** Totals of the tested minutes only (what the estimate and tests saw). */
  readonly testedDark = emptyArm();
  readonly testedBase = emptyArm();
  minutes = 0;
  private readonly ratio: RatioMetric | undefined;
  private readonly meanHarm: MeanRatioEProcess | undefined;
  private readonly meanSafe: MeanRatioEProcess | undefined;
  private mhNumerator = 0;
  private mhDenominator = 0;

  constructor(
    readonly definition: BusinessMetricDefinition,
    readonly settings: JudgeSettings,
    band = false,
  ) {
    const up = definition.direction === "up";
    const tolerance = Math.max(0, definition.tolerance);
    const margin = tolerance + settings.business.safeMargin;
    this.harmRatio = up ? Math.max(MIN_SAFE_RATIO, 1 - tolerance) : 1 + tolerance;
    this.safeRatio = up ? Math.max(MIN_SAFE_RATIO, 1 - margin) : 1 + margin;
    if (definition.kind === "value") {
      this.meanHarm = new MeanRatioEProcess({ nullRatio: this.harmRatio, side: up ? "lower" : "higher" });
      this.meanSafe = new MeanRatioEProcess({ nullRatio: this.safeRatio, side: up ? "higher" : "lower" });
    } else {
      this.ratio = new RatioMetric({
        harmRatio: this.harmRatio,
        safeRatio: this.safeRatio,
        band,
        multipliers: BUSINESS_MULTIPLIERS,
        harmBelow: up,
      });
    }
  }

  /** Adds one reported minute; `tested` is false during warm-up (counted for the value test's variance, not tested). */
  add(minute: BusinessMetricMinute, tested: boolean): void {
    const { dark, base } = minute;
    if (tested) {
      this.minutes++;
      addArmInto(this.testedDark, dark);
      addArmInto(this.testedBase, base);
      const x = this.successes(dark);
      const y = this.successes(base);
      const a = dark.exposed;
      const b = base.exposed;
      if (a > 0 && b > 0) {
        this.mhNumerator += (x * b) / (a + b);
        this.mhDenominator += (y * a) / (a + b);
      }
      if (this.ratio !== undefined) {
        this.ratio.update({ darkEvents: x, darkExposure: a, baseEvents: y, baseExposure: b });
      } else {
        const plugIn = this.plugIn();
        if (plugIn !== undefined) {
          const m = { darkSum: dark.sum, darkExposure: a, baseSum: base.sum, baseExposure: b };
          this.meanHarm?.update(m, plugIn);
          this.meanSafe?.update(m, plugIn);
        }
      }
    }
    // After the test: the plug-in must see earlier minutes only (a predictable estimate).
    addArmInto(this.dark, dark);
    addArmInto(this.base, base);
  }

  /**
   * The value test's estimates from earlier minutes: the larger of the arms' second moments per
   * exposure (the arms agree under the null; the larger keeps the test conservative when a sparse
   * arm's estimate is low) and the base mean. None until each arm has `minEvents` events.
   */
  private plugIn(): { secondMoment: number; baseMean: number } | undefined {
    const { dark, base } = this;
    const min = this.settings.business.minEvents;
    if (dark.events < min || base.events < min || !(dark.exposed > 0) || !(base.exposed > 0)) return undefined;
    const secondMoment = Math.max(dark.sumSq / dark.exposed, base.sumSq / base.exposed);
    const baseMean = base.sum / base.exposed;
    return secondMoment > 0 && baseMean > 0 ? { secondMoment, baseMean } : undefined;
  }

  /** What the metric counts of an arm: converted subjects, events or Σ value. */
  successes(arm: BusinessMetricArm): number {
    const kind = this.definition.kind;
    return kind === "conversion" ? arm.converted : kind === "count" ? arm.events : arm.sum;
  }

  /** The harm side: log-evidence now, its maximum so far (crossings are sticky) and the null ratio. */
  get harm(): { logE: number; maxLogE: number; nullRatio: number } {
    const p = this.ratio?.harm ?? (this.meanHarm as MeanRatioEProcess);
    return { logE: p.logE, maxLogE: p.maxLogE, nullRatio: this.harmRatio };
  }

  get safe(): { logE: number; maxLogE: number; nullRatio: number } {
    const p = this.ratio?.safe ?? (this.meanSafe as MeanRatioEProcess);
    return { logE: p.logE, maxLogE: p.maxLogE, nullRatio: this.safeRatio };
  }

  /** dark/base per exposure, Mantel–Haenszel over the tested minutes; null until the base arm had some. */
  get estimate(): number | null {
    return this.mhDenominator > 0 ? this.mhNumerator / this.mhDenominator : null;
  }

  /** The anytime-valid band of the ratio (rate kinds only; the value test keeps no grid). */
  band(alpha: number): [number, number] | null {
    return this.ratio?.band(alpha) ?? null;
  }

  /** Per exposure, over the tested minutes: conversion share, events or Σ value. */
  rate(arm: "dark" | "base"): number | null {
    const t = arm === "dark" ? this.testedDark : this.testedBase;
    return t.exposed > 0 ? this.successes(t) / t.exposed : null;
  }

  /** Events (conversions for `conversion`) on the sparser arm: what a verdict needs enough of. */
  get fewestEvents(): number {
    const kind = this.definition.kind;
    const of = (t: BusinessMetricArm) => (kind === "conversion" ? t.converted : t.events);
    return Math.min(of(this.testedDark), of(this.testedBase));
  }

  /**
   * Dark exposures needed in all for the harm side to reach `threshold` when dark is
   * `detectEffect` worse than base (in the metric's direction), at the rates seen so far.
   */
  exposuresNeeded(threshold: number): number | null {
    const { detectEffect } = this.settings.business;
    const up = this.definition.direction === "up";
    const trueRatio = up ? 1 - detectEffect : 1 + detectEffect;
    const d = this.testedDark;
    const b = this.testedBase;
    const total = d.exposed + b.exposed;
    const darkShare = total > 0 ? d.exposed / total : 0.5;
    if (this.definition.kind === "value") {
      const excess = up ? this.harmRatio - trueRatio : trueRatio - this.harmRatio;
      const all = { exposed: d.exposed + b.exposed, sumSq: d.sumSq + b.sumSq };
      return meanExposuresNeeded({
        baseMean: b.exposed > 0 && b.sum > 0 ? b.sum / b.exposed : null,
        secondMoment: all.exposed > 0 && all.sumSq > 0 ? all.sumSq / all.exposed : null,
        darkShare,
        nullRatio: this.harmRatio,
        excess,
        threshold,
      });
    }
    if ((up && trueRatio >= this.harmRatio) || (!up && trueRatio <= this.harmRatio)) return null;
    const baseRate = this.rate("base");
    return ratioExposuresNeeded({
      baseRate: baseRate !== null && baseRate > 0 ? baseRate : null,
      darkShare,
      nullRatio: this.harmRatio,
      trueRatio,
      below: up,
      multipliers: BUSINESS_MULTIPLIERS,
      threshold,
    });
  }
}

/** The metric's name in verdicts and charts: `business:<key>`. */
export function businessMetricName(key: string): `business:${string}` {
  return `business:${key}`;
}
