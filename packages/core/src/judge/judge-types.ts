import type { JudgeMetric } from "./judge-settings.js";

/** The states of a verdict, as in the judge's table (core README, "The judge"). */
export const JUDGE_STATES = ["INSUFFICIENT", "RUNNING", "REGRESSION", "SAFE", "INCONCLUSIVE", "UNHEALTHY"] as const;
export type JudgeState = (typeof JUDGE_STATES)[number];

/** What the verdict asks a ramp to do by default (the ramp's policy may differ for INCONCLUSIVE). */
export type JudgeAction = "rollback" | "hold" | "advance" | "none";

/** One side of an e-process: its e-value, the threshold it must reach, and whether it did. */
export interface EvidenceSide {
  /** The ratio tested against: r0 (harm: dark/base ≤ r0) or r_max (safe: dark/base ≥ r_max). */
  nullRatio: number;
  /** The e-value now. */
  e: number;
  logE: number;
  /** The largest e-value so far. */
  maxE: number;
  threshold: number;
  /**
   * Harm: the e-value reached the threshold at some minute (anytime-valid, so it stays crossed).
   * Safe: the e-value is at the threshold now. Safety shown earlier in a build must still hold when
   * the ramp acts on it: a dark path that starts failing later loses its safe evidence (the e-value
   * falls as the data turn against the alternative) before the next step, not after it.
   */
  crossed: boolean;
}

export interface MetricCounts {
  /** Events (errors, requests above τ, slower pairs, mismatches). */
  events: number;
  /** What they came from (requests, pairs, comparisons). */
  exposure: number;
  rate: number | null;
}

/** One metric of a verdict, with its numbers. */
export interface MetricVerdict {
  metric: JudgeMetric | `field:${string}` | `business:${string}`;
  /** The test, in words. */
  test: string;
  /** Whether it may act (a harm crossing is REGRESSION) and counts in the Bonferroni K. */
  decision: boolean;
  critical: boolean;
  /** dark/base ratio of rates (Mantel–Haenszel over minutes; slower/faster for paired latency); null without data. */
  estimate: number | null;
  dark: MetricCounts;
  baseline: MetricCounts;
  harm: EvidenceSide;
  safe: EvidenceSide | null;
  minutesTested: number;
  /** Tail metrics: the frozen latency threshold τ (ms) and the baseline quantile it came from. */
  thresholdMs?: number | undefined;
  quantile?: number | undefined;
  /** Why the metric could not be tested (no latency sketches, no noise reference …). */
  note?: string | undefined;
  /** Business metrics: what the metric is and its numbers in the metric's own terms. */
  business?: BusinessEstimate | undefined;
  /** Business metrics: dark exposures needed to see dark `detectEffect` worse. */
  evidenceNeeded?: MetricEvidenceNeeded | undefined;
}

/** A business metric's numbers: per exposure, each arm's rate (conversion share, events, Σ value). */
export interface BusinessEstimate {
  key: string;
  event: string;
  kind: "conversion" | "count" | "value";
  direction: "up" | "down";
  tolerance: number;
  darkRate: number | null;
  baseRate: number | null;
  /** dark/base − 1 (the Mantel–Haenszel estimate over minutes); null without data. */
  relativeEffect: number | null;
  /** Events on the sparser arm (conversions for a conversion metric), and the least a verdict needs. */
  fewestEvents: number;
  minEvents: number;
}

export interface MetricEvidenceNeeded {
  /** Dark exposures (distinct subjects per minute, summed) needed in all; null while the rates are unknown. */
  exposures: number | null;
  seen: number;
  remaining: number | null;
  /** The relative effect it is reckoned for (settings `business.detectEffect`). */
  effect: number;
}

/** A per-route or per-field diagnostic row (e-BH at q across rows of its kind). */
export interface DiagnosticRow {
  key: string;
  estimate: number | null;
  dark: MetricCounts;
  baseline: MetricCounts;
  e: number;
  /** An e-BH discovery: evidence that this row regressed, false discovery rate q. */
  flagged: boolean;
  /** Fields: past Diffy's floors (relative > 20 %, absolute > 0.03 %) too, so worth a look. */
  actionable: boolean;
}

/** A sample-ratio mismatch test: dark's observed share vs its target, and the evidence against it. */
export interface SrmReport {
  observedShare: number | null;
  targetShare: number | null;
  e: number;
  threshold: number;
  crossed: boolean;
}

export interface HealthReport {
  /** Sample-ratio mismatch (split mode with a target share): observed dark share vs target. */
  srm: SrmReport | null;
  /** Business metrics (split mode with a target share): dark's share of exposed subjects vs target. */
  exposureSrm?: SrmReport | null;
  /** Shadow mode: share of expected mirrors with no paired outcome. */
  mirrorLoss: { loss: number | null; expected: number; paired: number; limit: number; exceeded: boolean } | null;
  /** Reported minutes over the step's elapsed minutes. */
  coverage: { reported: number; elapsed: number; share: number; minimum: number; low: boolean };
  /** Unreported minutes in a row at the end of the timeline. */
  gap: { minutes: number; limit: number; exceeded: boolean };
}

export interface EvidenceNeeded {
  /** Dark requests (pairs in shadow mode) needed in all to detect a 2× error regression at the observed base rate; null when the rate is unknown. */
  requests: number | null;
  /** Dark requests (pairs) tested so far. */
  seen: number;
  /** Still needed: max(0, requests − seen); null when unknown. */
  remaining: number | null;
  baseRate: number | null;
}

/** The judge's answer for one flag at one minute. */
export interface JudgeVerdict {
  state: JudgeState;
  action: JudgeAction;
  /** One sentence with the numbers that decided it. */
  why: string;
  mode: "shadow" | "split";
  /** The minute judged (the timeline's last). */
  at: string | null;
  alpha: number;
  /** Decision metrics sharing α (Bonferroni): each harm e-value must reach K/α. */
  decisionMetrics: number;
  metrics: MetricVerdict[];
  health: HealthReport;
  evidenceNeeded: EvidenceNeeded;
  step: { start: string | null; minutes: number; warmupMinutes: number; testedMinutes: number; minMinutes: number; maxMinutes: number };
  /** `business`: the watched (non-critical) business metrics, e-BH at q among themselves. */
  diagnostics: { routes: DiagnosticRow[]; fields: DiagnosticRow[]; business: DiagnosticRow[] };
}

/** One metric at one minute of the analysis series. */
export interface SeriesPoint {
  estimate: number | null;
  /** Anytime-valid (1 − α) band for the ratio; null before any event. */
  band: [number, number] | null;
  eHarm: number;
  eSafe: number | null;
}

/** One minute of the analysis series, for charts. */
export interface SeriesMinute {
  start: string;
  reported: boolean;
  warmup: boolean;
  tested: boolean;
  /** By metric name: the request metrics and `business:<key>`. */
  metrics: Partial<Record<JudgeMetric, SeriesPoint>> & { [business: `business:${string}`]: SeriesPoint };
}
