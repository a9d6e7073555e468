import { emptySketchData, type SketchData } from "../latency-sketch.js";
import { isSignificant } from "../noise-rule.js";
import { pairCount } from "../observation-window.js";
import { BusinessMetric, type BusinessMetricDefinition, type BusinessMetricMinute } from "./business-metric.js";
import { eBenjaminiHochberg } from "./e-bh.js";
import { isSketchList, type JudgeMinute } from "./judge-input.js";
import type { JudgeMetric, JudgeSettings } from "./judge-settings.js";
import type { DiagnosticRow, MetricCounts, SeriesPoint } from "./judge-types.js";
import { countAbove, type LatencyThreshold, requestCount, thresholdAt } from "./latency-threshold.js";
import { eValue } from "./ratio-e-process.js";
import { RatioMetric } from "./ratio-metric.js";
import { ShareTest } from "./share-test.js";
import { addSketchInto } from "./sketch-sum.js";

const MINUTE_MS = 60_000;
/** Baseline requests needed before a tail threshold is frozen: a p99 from fewer is mostly noise. */
const MIN_THRESHOLD_REQUESTS = 200;
const TAIL_QUANTILES = { latencyP95: 0.95, latencyP99: 0.99 } as const;

/**
 * One walk over a flag's minutes: every e-process, estimate and health count, updated minute by
 * minute. The verdict reads it once at the end; the analysis series reads it after every minute.
 */
export class JudgeRun {
  readonly metrics = new Map<JudgeMetric, RatioMetric>();
  readonly thresholds: Partial<Record<"latencyP95" | "latencyP99", LatencyThreshold>> = {};
  readonly routes = new Map<string, RatioMetric>();
  readonly fields = new Map<string, RatioMetric>();
  /** Field paths' cumulative counts for Diffy's floors. */
  readonly fieldCounts = new Map<string, { raw: number; noise: number }>();
  comparisonTotal = 0;
  noiseTotal = 0;
  /** Sample-ratio mismatch of requests, per step. */
  srm: ShareTest;
  /** Sample-ratio mismatch of the business metrics' exposed subjects, per step. */
  exposureSrm: ShareTest;
  /** Business metrics, by key. */
  readonly business = new Map<string, BusinessMetric>();
  mirrorExpected = 0;
  mirrorPaired = 0;
  /** Shadow errors: marginal counts over pairs. */
  pairs = 0;
  pairDarkErrors = 0;
  pairBaseErrors = 0;
  testedMinutes = 0;
  /** Minutes tested in the current step, and the step's reported minutes. */
  stepTestedMinutes = 0;
  stepReportedMinutes = 0;
  /** Baseline latencies before the tail thresholds were frozen (owned: sketches are added into it). */
  private readonly priorBaseline: SketchData = emptySketchData();

  constructor(
    readonly settings: JudgeSettings,
    readonly shadow: boolean,
    band: boolean,
    business: readonly BusinessMetricDefinition[] = [],
  ) {
    const t = settings.tolerances;
    const metric = (harmRatio: number) => new RatioMetric({ harmRatio, safeRatio: t.safe, band });
    this.metrics.set("errors", metric(t.errors));
    this.metrics.set("latencyP95", metric(t.latencyTail));
    this.metrics.set("latencyP99", metric(t.latencyTail));
    if (shadow) this.metrics.set("latencyPaired", metric(t.latencyPaired));
    this.srm = new ShareTest(settings.health.srmFloor);
    this.exposureSrm = new ShareTest(settings.health.srmFloor);
    for (const definition of business) this.business.set(definition.key, new BusinessMetric(definition, settings, band));
  }

  /** Starts a new step: health and coverage are per step; e-values carry on (one dark build). */
  newStep(): void {
    this.stepTestedMinutes = 0;
    this.stepReportedMinutes = 0;
    this.mirrorExpected = 0;
    this.mirrorPaired = 0;
    this.srm = new ShareTest(this.settings.health.srmFloor);
    this.exposureSrm = new ShareTest(this.settings.health.srmFloor);
  }

  /** Counts a minute of the step as reported (once, however many entries it has). */
  reported(): void {
    this.stepReportedMinutes++;
  }

  /** Adds one reported minute; `tested` is false during warm-up (shown, not tested). */
  add(minute: JudgeMinute, tested: boolean): void {
    const { baseline, dark } = minute;
    if (!tested) {
      if (baseline.latency !== undefined && this.thresholds.latencyP99 === undefined) this.addPriorBaseline(baseline.latency);
      return;
    }
    this.testedMinutes++;
    this.stepTestedMinutes++;
    const errors = this.metrics.get("errors") as RatioMetric;
    const paired = minute.paired;
    if (this.shadow) {
      if (paired !== undefined) {
        const n = pairCount(paired);
        this.pairs += n;
        this.pairDarkErrors += paired.bothErr + paired.darkOnlyErr;
        this.pairBaseErrors += paired.bothErr + paired.baseOnlyErr;
        errors.update({ darkEvents: paired.darkOnlyErr, darkExposure: n, baseEvents: paired.baseOnlyErr, baseExposure: n });
        this.metrics
          .get("latencyPaired")
          ?.update({ darkEvents: paired.slower, darkExposure: n, baseEvents: paired.faster, baseExposure: n });
        this.mirrorPaired += n;
        // Reporters that count their lost mirrors say exactly how many they meant to make. A
        // share-based expectation counted binomial noise, and a reporter still on the previous
        // step's share (a stream reconnecting after a restart), as loss: neither biases the pairs.
        this.mirrorExpected += paired.lost !== undefined ? n + paired.lost : baseline.requests * (minute.targetShare ?? 1);
      }
    } else {
      errors.update({ darkEvents: dark.errors, darkExposure: dark.requests, baseEvents: baseline.errors, baseExposure: baseline.requests });
      this.srm.update(dark.requests, baseline.requests, minute.targetShare);
    }
    this.addTails(minute);
    this.addComparison(minute);
    this.addRoutes(minute);
  }

  private addTails(minute: JudgeMinute): void {
    const { baseline, dark } = minute;
    if (baseline.latency === undefined || dark.latency === undefined) return;
    if (this.thresholds.latencyP99 === undefined) {
      // τ is frozen from earlier minutes only, so that this minute's counts are tested against a
      // threshold fixed before they were seen (a predictable τ keeps the e-process valid).
      if (this.priorBaseline.count >= MIN_THRESHOLD_REQUESTS) {
        const data = this.priorBaseline;
        for (const metric of ["latencyP95", "latencyP99"] as const) {
          const t = thresholdAt(data, TAIL_QUANTILES[metric]);
          if (t !== undefined) this.thresholds[metric] = t;
        }
      }
      if (this.thresholds.latencyP99 === undefined) {
        this.addPriorBaseline(baseline.latency);
        return;
      }
    }
    for (const metric of ["latencyP95", "latencyP99"] as const) {
      const t = this.thresholds[metric];
      if (t === undefined) continue;
      (this.metrics.get(metric) as RatioMetric).update({
        darkEvents: countAbove(dark.latency, t),
        darkExposure: requestCount(dark.latency),
        baseEvents: countAbove(baseline.latency, t),
        baseExposure: requestCount(baseline.latency),
      });
    }
  }

  private addPriorBaseline(latency: SketchData | readonly SketchData[]): void {
    if (!isSketchList(latency)) addSketchInto(this.priorBaseline, latency);
    else for (const sketch of latency) addSketchInto(this.priorBaseline, sketch);
  }

  private addComparison(minute: JudgeMinute): void {
    const c = minute.comparison;
    if (c === undefined) return;
    this.comparisonTotal += c.total;
    this.noiseTotal += c.noiseTotal;
    const paths = new Set([...Object.keys(c.fields), ...Object.keys(c.noise)]);
    for (const path of paths) {
      const raw = c.fields[path] ?? 0;
      const noise = c.noise[path] ?? 0;
      const counts = this.fieldCounts.get(path) ?? { raw: 0, noise: 0 };
      counts.raw += raw;
      counts.noise += noise;
      this.fieldCounts.set(path, counts);
      let metric = this.fields.get(path);
      if (metric === undefined) {
        metric = new RatioMetric({ harmRatio: this.settings.tolerances.mismatches });
        this.fields.set(path, metric);
      }
      metric.update({ darkEvents: raw, darkExposure: c.total, baseEvents: noise, baseExposure: c.noiseTotal });
    }
  }

  private addRoutes(minute: JudgeMinute): void {
    if (minute.routes === undefined) return;
    for (const [route, counts] of Object.entries(minute.routes)) {
      let metric = this.routes.get(route);
      if (metric === undefined) {
        metric = new RatioMetric({ harmRatio: this.settings.tolerances.errors });
        this.routes.set(route, metric);
      }
      if (this.shadow) {
        const p = counts.paired;
        if (p === undefined) continue;
        const n = pairCount(p);
        metric.update({ darkEvents: p.darkOnlyErr, darkExposure: n, baseEvents: p.baseOnlyErr, baseExposure: n });
      } else {
        metric.update({
          darkEvents: counts.dark.errors,
          darkExposure: counts.dark.requests,
          baseEvents: counts.baseline.errors,
          baseExposure: counts.baseline.requests,
        });
      }
    }
  }

  /**
   * Adds the business metrics' minute t. The SRM on exposures reads the metric with the most
   * exposed subjects (every metric of a flag sees the same exposures; testing each would only
   * multiply the test).
   */
  addBusiness(minutes: ReadonlyMap<string, BusinessMetricMinute>, tested: boolean, targetShare: number | undefined): void {
    let widest: BusinessMetricMinute | undefined;
    for (const [key, minute] of minutes) {
      this.business.get(key)?.add(minute, tested);
      if (widest === undefined || minute.dark.exposed + minute.base.exposed > widest.dark.exposed + widest.base.exposed) widest = minute;
    }
    if (tested && widest !== undefined && !this.shadow) this.exposureSrm.update(widest.dark.exposed, widest.base.exposed, targetShare);
  }

  /** Per-route error rows and per-field mismatch rows, flagged by e-BH at q. */
  diagnostics(): { routes: DiagnosticRow[]; fields: DiagnosticRow[]; business: DiagnosticRow[] } {
    const q = this.settings.diagnosticsQ;
    const rows = (entries: [string, RatioMetric][], actionable: (key: string) => boolean): DiagnosticRow[] => {
      const es = entries.map(([, m]) => eValue(m.harm.logE));
      const flagged = eBenjaminiHochberg(es, q);
      return entries
        .map(([key, m], i) => ({
          key,
          estimate: m.estimate,
          dark: counts(m.darkEvents, m.darkExposure),
          baseline: counts(m.baseEvents, m.baseExposure),
          e: es[i] as number,
          flagged: flagged[i] as boolean,
          actionable: (flagged[i] as boolean) && actionable(key),
        }))
        .sort((a, b) => b.e - a.e || (a.key < b.key ? -1 : 1));
    };
    const watched = [...this.business.values()].filter((m) => !m.definition.critical);
    const businessEs = watched.map((m) => eValue(m.harm.logE));
    const businessFlagged = eBenjaminiHochberg(businessEs, q);
    return {
      // Watched business metrics: harm evidence, e-BH at q among themselves (their own family).
      business: watched
        .map((m, i) => ({
          key: m.definition.key,
          estimate: m.estimate,
          dark: businessCounts(m, "dark"),
          baseline: businessCounts(m, "base"),
          e: businessEs[i] as number,
          flagged: businessFlagged[i] as boolean,
          actionable: businessFlagged[i] as boolean,
        }))
        .sort((a, b) => b.e - a.e || (a.key < b.key ? -1 : 1)),
      routes: rows([...this.routes], () => true),
      fields: rows([...this.fields], (path) => {
        const c = this.fieldCounts.get(path) ?? { raw: 0, noise: 0 };
        return isSignificant({ raw: c.raw, total: this.comparisonTotal, noise: c.noise, noiseTotal: this.noiseTotal });
      }),
    };
  }

  /** A business metric's point of the analysis series. */
  businessPoint(key: string): SeriesPoint | undefined {
    const m = this.business.get(key);
    if (m === undefined) return undefined;
    return { estimate: m.estimate, band: m.band(this.settings.alpha), eHarm: eValue(m.harm.logE), eSafe: eValue(m.safe.logE) };
  }

  /** One metric's point of the analysis series. */
  point(metric: JudgeMetric): SeriesPoint | undefined {
    const m = this.metrics.get(metric);
    if (m === undefined) return undefined;
    return {
      estimate: m.estimate,
      band: m.band(this.settings.alpha),
      eHarm: eValue(m.harm.logE),
      eSafe: m.safe === undefined ? null : eValue(m.safe.logE),
    };
  }
}

/** A business metric's arm as counts: conversions, events or Σ value over exposed subjects (tested minutes). */
export function businessCounts(m: BusinessMetric, arm: "dark" | "base"): MetricCounts {
  const t = arm === "dark" ? m.testedDark : m.testedBase;
  return counts(m.successes(t), t.exposed);
}

export function counts(events: number, exposure: number): MetricCounts {
  return { events, exposure, rate: exposure > 0 ? events / exposure : null };
}

export function minuteIndex(iso: string): number {
  return Math.floor(Date.parse(iso) / MINUTE_MS);
}
