import type { AnalysisResponse, ObservationSeries, RampRecord, RampVerdictListResponse, VerdictResponse } from "@darklaunch/core";
import type { Columns } from "../chart-data.js";
import { divergenceOf, isRampInProgress } from "../launch-summary.js";

/**
 * What the launch page shows, derived from the API's answers (verdict, analysis, ramp, observations)
 * without React, so that it is unit-tested. Views only lay these out.
 */

export type MetricVerdict = VerdictResponse["metrics"][number];
type EvidenceSide = MetricVerdict["harm"];

/** The judge's own metrics; anything else in a verdict (business metrics) is shown generically. */
export const CORE_METRICS = ["errors", "latencyP95", "latencyP99", "latencyPaired"] as const;

const METRIC_LABELS: Record<string, string> = {
  errors: "Errors",
  latencyP95: "Latency p95",
  latencyP99: "Latency p99",
  latencyPaired: "Paired latency",
};

/** "Errors", "Latency p95", "Field body.total", and a business metric by its own name. */
export function metricLabel(metric: string): string {
  if (metric.startsWith("field:")) return `Field ${metric.slice("field:".length)}`;
  return METRIC_LABELS[metric] ?? metric;
}

/** A business metric: one the verdict carries that is neither a judge metric nor a response field. */
export function isBusinessMetric(metric: string): boolean {
  return !(CORE_METRICS as readonly string[]).includes(metric) && !metric.startsWith("field:");
}

/** The metrics that get a tile: decision metrics, then business metrics (decision or not). */
export function tileMetrics(metrics: readonly MetricVerdict[]): MetricVerdict[] {
  return metrics.filter((m) => m.decision || isBusinessMetric(m.metric));
}

/** A dark/base ratio as a change: 1.25 → "+25.0 %", 0.9 → "−10.0 %". */
export function formatRatioDelta(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return "—";
  const delta = (ratio - 1) * 100;
  const sign = delta > 0.05 ? "+" : delta < -0.05 ? "−" : "±";
  return `${sign}${Math.abs(delta).toFixed(1)} %`;
}

/** An e-value in a few characters: 0.42, 3.1, 41, 1.2e6; ∞ for one past what JSON carries. */
export function formatEvidence(e: number | null | undefined): string {
  if (e === undefined) return "—";
  if (e === null || !Number.isFinite(e)) return "∞";
  if (e >= 1e5) return e.toExponential(1).replace("+", "");
  if (e >= 10) return String(Math.round(e));
  return e.toFixed(e >= 1 ? 1 : 2);
}

/**
 * How far an e-value has gone toward its threshold on a log scale, 0..1: e ≤ 1 is no evidence (0),
 * e = threshold is 1. A null e is one past 1e308: crossed.
 */
export function evidenceFraction(e: number | null, threshold: number): number {
  if (e === null) return 1;
  if (!(e > 1) || !(threshold > 1)) return 0;
  return Math.min(1, Math.log(e) / Math.log(threshold));
}

export type MetricState = "regression" | "safe" | "testing" | "untested";

/** One metric's own verdict: harm crossed, safe crossed, still testing, or not testable (with why). */
export function metricState(m: Pick<MetricVerdict, "harm" | "safe" | "minutesTested" | "note">): MetricState {
  if (m.harm.crossed) return "regression";
  if (m.safe?.crossed) return "safe";
  if (m.note !== undefined && m.minutesTested === 0) return "untested";
  return "testing";
}

/** The words (and mark, so colour is not the only cue) for a metric's state. */
export const METRIC_STATE_TEXT: Record<MetricState, string> = {
  regression: "✗ regression",
  safe: "✓ safe",
  testing: "… testing",
  untested: "– not tested",
};

export interface EvidenceMeter {
  label: string;
  e: number | null;
  threshold: number;
  fraction: number;
  crossed: boolean;
  /** Harm crossed at this peak and its e-value has fallen since (the crossing stands); else absent. */
  peak?: number | null;
}

/**
 * The two meters of a tile: toward rollback (harm) and toward advance (safe, when the metric has
 * one). Harm crosses on its running maximum and stays crossed, so a crossed harm meter is full and
 * names its peak; safe is crossed only while its e-value is at the threshold now.
 */
export function evidenceMeters(m: Pick<MetricVerdict, "harm" | "safe">): EvidenceMeter[] {
  const meter = (label: string, side: EvidenceSide, peak?: number | null): EvidenceMeter => ({
    label,
    e: side.e,
    threshold: side.threshold,
    fraction: peak === undefined ? evidenceFraction(side.e, side.threshold) : 1,
    crossed: side.crossed,
    ...(peak === undefined ? {} : { peak }),
  });
  const fallen = m.harm.crossed && formatEvidence(m.harm.maxE) !== formatEvidence(m.harm.e);
  return [meter("toward rollback", m.harm, fallen ? m.harm.maxE : undefined), ...(m.safe ? [meter("toward advance", m.safe)] : [])];
}

/**
 * A metric's effect over time for uPlot: x (unix seconds), estimate, band low, band high, tolerance
 * (the harm side's null ratio, constant) and 1 (no change). Minutes without a value are gaps.
 */
export function effectColumns(analysis: Pick<AnalysisResponse, "series">, metric: string, tolerance: number): Columns {
  const x: number[] = [];
  const estimate: (number | null)[] = [];
  const low: (number | null)[] = [];
  const high: (number | null)[] = [];
  const tol: (number | null)[] = [];
  const one: (number | null)[] = [];
  for (const minute of analysis.series) {
    const point = minute.metrics[metric];
    x.push(Math.floor(Date.parse(minute.start) / 1000));
    estimate.push(finite(point?.estimate));
    low.push(finite(point?.band?.[0]));
    high.push(finite(point?.band?.[1]));
    tol.push(tolerance);
    one.push(1);
  }
  return [x, estimate, low, high, tol, one];
}

/** Whether effect columns have any estimate to draw (an empty chart would span an arbitrary range). */
export function hasEstimate(columns: Columns): boolean {
  return (columns[1] ?? []).some((v) => v !== null);
}

const finite = (n: number | null | undefined): number | null => (n === null || n === undefined || !Number.isFinite(n) ? null : n);

export interface Criterion {
  label: string;
  met: boolean;
  detail: string;
}

type Health = {
  srm?: { crossed?: boolean } | null;
  mirrorLoss?: { exceeded?: boolean; loss?: number | null } | null;
  coverage?: { share?: number; minimum?: number; low?: boolean };
  gap?: { minutes?: number; limit?: number; exceeded?: boolean };
};
type Step = { minutes?: number; warmupMinutes?: number; testedMinutes?: number; minMinutes?: number; maxMinutes?: number };

/**
 * What must hold for the ramp to advance, each with whether it does and the numbers: warm-up done,
 * the step's minimum time, coverage of reported minutes, every critical metric proven safe, health.
 */
export function advanceCriteria(verdict: Pick<VerdictResponse, "metrics" | "health" | "step">): Criterion[] {
  const step = verdict.step as Step;
  const health = verdict.health as Health;
  const minutes = step.minutes ?? 0;
  const warmup = step.warmupMinutes ?? 0;
  const min = step.minMinutes ?? 0;
  const coverage = health.coverage;
  const healthProblems = [
    health.srm?.crossed ? "sample-ratio mismatch" : undefined,
    health.mirrorLoss?.exceeded ? "mirror loss" : undefined,
    health.gap?.exceeded ? `no data for ${health.gap.minutes} min` : undefined,
  ].filter((p): p is string => p !== undefined);
  return [
    { label: "Warm-up done", met: minutes >= warmup, detail: `${fmtMin(minutes)} of ${fmtMin(warmup)} warm-up` },
    { label: "Minimum step time", met: minutes >= min, detail: `${fmtMin(minutes)} of ${fmtMin(min)}` },
    {
      label: "Coverage",
      met: coverage !== undefined && !coverage.low,
      detail: coverage === undefined ? "no minutes yet" : `${pct(coverage.share)} of minutes reported (needs ${pct(coverage.minimum)})`,
    },
    safetyCriterion(verdict.metrics.filter((m) => m.critical && m.decision)),
    {
      label: "Health ok",
      met: healthProblems.length === 0,
      detail: healthProblems.length === 0 ? "no sample-ratio mismatch, mirror loss or data gap" : healthProblems.join(", "),
    },
  ];
}

/** Every critical metric proven safe now, and none whose harm crossed: a crossing stands (anytime-valid) though it proved safe since. */
function safetyCriterion(critical: readonly MetricVerdict[]): Criterion {
  const label = "Every critical metric safe";
  const labels = (ms: readonly MetricVerdict[]) => ms.map((m) => metricLabel(m.metric)).join(", ");
  if (critical.length === 0) return { label, met: false, detail: "no critical metric" };
  const regressed = critical.filter((m) => m.harm.crossed);
  if (regressed.length > 0) return { label, met: false, detail: `${labels(regressed)} crossed toward rollback` };
  const unsafe = critical.filter((m) => !m.safe?.crossed);
  if (unsafe.length > 0) return { label, met: false, detail: `waiting on ${labels(unsafe)}` };
  return { label, met: true, detail: `${labels(critical)} proven safe` };
}

const fmtMin = (m: number) => `${Number.isInteger(m) ? m : m.toFixed(1)} min`;
const pct = (share: number | undefined) => (share === undefined ? "—" : `${Math.round(share * 100)} %`);

export interface TimelineStep {
  /** "serve 25 %", "shadow 10 %", "off" */
  label: string;
  startedAt: number;
  endedAt: number | null;
  /** What ended the step: advance, rollback, pause, complete …; null while it runs. */
  endedBy: string | null;
  by: string | null;
  /** The verdict that ended it (from the event, else the last stored verdict before its end). */
  verdict: { state: string; why: string } | null;
  why: string;
  /** What happened inside the step: pause, resume, dismiss, alerts, an extension. */
  notes: { at: number; kind: string; by: string; why: string }[];
}

/** Events that move the ramp to another step (or end it). */
const STEP_EVENTS = new Set(["start", "advance", "rollback", "promote", "complete", "abort", "manual-change"]);

/**
 * The ramp's steps, oldest first: each from the event that began it to the one that ended it, with
 * the verdict that ended it. Pause, resume, dismiss and alerts stay inside their step.
 */
export function rampTimeline(ramp: Pick<RampRecord, "state">, verdicts: RampVerdictListResponse["verdicts"] = []): TimelineStep[] {
  const steps: TimelineStep[] = [];
  const byTime = [...verdicts].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  for (const event of ramp.state.history) {
    const current = steps[steps.length - 1];
    if (!STEP_EVENTS.has(event.kind)) {
      current?.notes.push({ at: event.at, kind: event.kind, by: event.by, why: event.why });
      continue;
    }
    if (current !== undefined && current.endedAt === null) {
      current.endedAt = event.at;
      current.endedBy = event.kind;
      current.by = event.by;
      current.why = event.why;
      current.verdict = event.verdict
        ? { state: event.verdict.state, why: event.verdict.why }
        : lastVerdictBefore(byTime, event.at, current.startedAt);
    }
    if (event.kind === "complete" || event.kind === "abort") continue;
    steps.push({
      label: targetLabel(event.target),
      startedAt: event.at,
      endedAt: null,
      endedBy: null,
      by: null,
      verdict: null,
      why: event.why,
      notes: [],
    });
  }
  return steps;
}

function lastVerdictBefore(
  verdicts: RampVerdictListResponse["verdicts"],
  at: number,
  after: number,
): { state: string; why: string } | null {
  let found: { state: string; why: string } | null = null;
  for (const v of verdicts) {
    const t = Date.parse(v.at);
    if (t > at) break;
    if (t >= after) found = { state: v.state, why: v.why };
  }
  return found;
}

export function targetLabel(target: { phase: string; percentage: number }): string {
  if (target.percentage === 0) return "off";
  return `${target.phase} ${target.percentage} %`;
}

export interface Trend {
  direction: "up" | "down" | "flat" | "unknown";
  /** "↑ rising", "↓ falling", "→ steady" */
  text: string;
}

/** The divergence trend: the later half of the period's comparisons against the earlier half. */
export function divergenceTrend(series: ObservationSeries["series"]): Trend {
  const half = Math.floor(series.length / 2);
  const before = divergenceOf(series.slice(0, half));
  const after = divergenceOf(series.slice(half));
  if (before === null || after === null) return { direction: "unknown", text: "no trend yet" };
  const diff = after - before;
  // Within a tenth of the earlier rate (or 0.1 point) is steady: noise, not a trend.
  if (Math.abs(diff) <= Math.max(0.001, before * 0.1)) return { direction: "flat", text: "→ steady" };
  return diff > 0 ? { direction: "up", text: "↑ rising" } : { direction: "down", text: "↓ falling" };
}

export interface TrafficShare {
  /** "served from dark" or "mirrored to dark" */
  how: string;
  /** The share the flag or ramp asks for, 0–100; null when unknown (rules). */
  target: number | null;
  /** The share of observed requests that dark took, 0..1; null without traffic. */
  observed: number | null;
}

/**
 * The share of traffic dark gets: the ramp's target when a ramp runs, else the flag's percentage;
 * and what the observations say it got (split mode: dark requests over all; shadow: mirrored over baseline).
 */
export function trafficShare(
  mode: "shadow" | "split",
  ramp: Pick<RampRecord, "status" | "state"> | undefined,
  percentage: number | null,
  totals: ObservationSeries["totals"] | undefined,
): TrafficShare {
  const active = isRampInProgress(ramp);
  const shadow = active ? ramp.state.target.phase === "shadow" : mode === "shadow";
  const target = active ? ramp.state.target.percentage : percentage;
  let observed: number | null = null;
  if (totals !== undefined) {
    const { baseline, dark } = totals;
    if (shadow) observed = baseline.requests === 0 ? null : Math.min(1, dark.requests / baseline.requests);
    else observed = baseline.requests + dark.requests === 0 ? null : dark.requests / (baseline.requests + dark.requests);
  }
  return { how: shadow ? "mirrored to dark" : "served from dark", target, observed };
}

/**
 * Error budget burn: dark's error rate over the objective's allowed error rate (1 = burning exactly
 * the budget). Undefined when no objective is set or dark has no requests.
 */
export function errorBudgetBurn(darkErrorRate: number | null | undefined, objective: number | undefined): number | undefined {
  if (objective === undefined || !(objective > 0) || darkErrorRate === null || darkErrorRate === undefined) return undefined;
  return darkErrorRate / objective;
}

/**
 * The error-rate objective (a share, 0.01 = 1 %) that the burn is measured against: a ramp in
 * progress runs with its effective settings (the flag's, or its own when it overrides them), any
 * other time the flag's. Undefined when none is set.
 */
export function errorRateObjective(
  ramp: Pick<RampRecord, "status" | "judgeEffective"> | null | undefined,
  flagSettings: { errorRateObjective?: number | undefined } | undefined,
): number | undefined {
  const value = isRampInProgress(ramp) ? ramp.judgeEffective?.settings.errorRateObjective : flagSettings?.errorRateObjective;
  return typeof value === "number" && value > 0 && value < 1 ? value : undefined;
}

/** The burn in words, so it reads without its colour: `over budget (2.00× the allowed errors)`. */
export function burnWords(burn: number): { mark: string; level: string; words: string; over: boolean } {
  const level = burn > 1 ? "over budget" : burn >= 0.8 ? "near budget" : "within budget";
  const mark = burn > 1 ? "⚠" : burn >= 0.8 ? "●" : "✓";
  return { mark, level, words: `${level}: ${burn.toFixed(2)}× the allowed errors`, over: burn > 1 };
}

/** The ramp controls that make sense in a status (the server refuses the others with 409). */
export function rampControls(ramp: Pick<RampRecord, "status" | "state"> | undefined): {
  start: boolean;
  pause: boolean;
  resume: boolean;
  abort: boolean;
  promote: boolean;
  dismiss: boolean;
} {
  const status = ramp?.status;
  const active = isRampInProgress(ramp);
  const last = ramp?.state.lastVerdict;
  const dismissable = last != null && ["REGRESSION", "UNHEALTHY", "INSUFFICIENT"].includes(last.state) && !last.criticalHarm;
  return {
    start: !active,
    pause: status === "running",
    resume: status === "paused",
    abort: active,
    promote: status === "running",
    dismiss: active && dismissable,
  };
}

/** The plan fields of the start form, as text, checked into a request body or problems by field. */
export interface PlanForm {
  steps: string;
  minStep: string;
  maxStep: string;
  warmup: string;
  onInconclusive: "hold" | "advance" | "rollback";
}

export const DEFAULT_PLAN_FORM: PlanForm = {
  steps: "1, 5, 25, 50, 100",
  minStep: "10m",
  maxStep: "1h",
  warmup: "2m",
  onInconclusive: "hold",
};

/** The form as a plan for `POST …/ramp` (the server checks durations and order); or what is wrong with the steps. */
export function planFromForm(form: PlanForm): { plan: Record<string, unknown> } | { problem: string } {
  const parts = form.steps
    .split(/[\s,]+/)
    .map((s) => s.replace(/%$/, ""))
    .filter((s) => s !== "");
  const steps = parts.map(Number);
  if (parts.length === 0) return { problem: "Steps: give at least one percentage, such as 1, 5, 25, 50, 100." };
  const bad = parts.find((p, i) => !Number.isFinite(steps[i]) || steps[i]! <= 0 || steps[i]! > 100 || p === "");
  if (bad !== undefined) return { problem: `Steps: "${bad}" is not a percentage above 0 and at most 100.` };
  const duration = (text: string) => {
    const t = text.trim();
    return /^\d+(\.\d+)?$/.test(t) ? Number(t) : t;
  };
  return {
    plan: {
      steps,
      minStep: duration(form.minStep),
      maxStep: duration(form.maxStep),
      warmup: duration(form.warmup),
      onInconclusive: form.onInconclusive,
    },
  };
}
