import {
  addArmInto,
  type BusinessMetric,
  type BusinessMetricDefinition,
  type BusinessMetricInput,
  type BusinessMetricMinute,
  businessMetricName,
} from "./business-metric.js";
import { darkRequestsNeeded } from "./evidence-needed.js";
import type { JudgeMinute } from "./judge-input.js";
import { businessCounts, counts, JudgeRun, minuteIndex } from "./judge-run.js";
import { DEFAULT_JUDGE_SETTINGS, JUDGE_METRICS, type JudgeMetric, type JudgeSettings } from "./judge-settings.js";
import type {
  EvidenceNeeded,
  EvidenceSide,
  HealthReport,
  JudgeAction,
  JudgeState,
  JudgeVerdict,
  MetricVerdict,
  SeriesMinute,
} from "./judge-types.js";
import { explain } from "./judge-why.js";
import { eValue } from "./ratio-e-process.js";
import type { RatioMetric } from "./ratio-metric.js";
import type { ShareTest } from "./share-test.js";

/** What the judge reads: one flag's reported minutes over one dark build (e-values carry across its steps). */
export interface JudgeInput {
  /** Reported minutes, any order; a minute absent is one nobody reported. */
  minutes: readonly JudgeMinute[];
  /** The first minute of the timeline (ISO); default the first reported minute. */
  from?: string | undefined;
  /** The minute being judged, the timeline's last (ISO); default the last reported minute. */
  now?: string | undefined;
  /**
   * Business metrics of the flag with their per-minute counts per arm: critical ones are decision
   * metrics (Bonferroni with the others; may roll back; must prove SAFE), watched ones diagnostics.
   * Their minutes are read on the timeline of `minutes` (steps, warm-up, target share).
   */
  business?: readonly BusinessMetricInput[] | undefined;
}

const TESTS: Record<JudgeMetric, { shadow: string; split: string }> = {
  errors: {
    shadow: "paired sign test on discordant errors (dark-only vs base-only)",
    split: "conditional binomial rate-ratio test per minute",
  },
  latencyP95: {
    shadow: "requests above the frozen baseline p95 boundary, rate-ratio test per minute",
    split: "requests above the frozen baseline p95 boundary, rate-ratio test per minute",
  },
  latencyP99: {
    shadow: "requests above the frozen baseline p99 boundary, rate-ratio test per minute",
    split: "requests above the frozen baseline p99 boundary, rate-ratio test per minute",
  },
  latencyPaired: { shadow: "paired sign test on slower vs faster pairs", split: "paired sign test on slower vs faster pairs" },
};

interface Walk {
  run: JudgeRun;
  shadow: boolean;
  first: number;
  last: number;
  stepStart: number;
  lastReported: number;
}

function walk(
  input: JudgeInput,
  settings: JudgeSettings,
  band: boolean,
  onMinute?: (t: number, reported: boolean, warmup: boolean, run: JudgeRun) => void,
): Walk {
  const minutes = input.minutes
    .map((m) => ({ m, t: minuteIndex(m.start) }))
    .filter(({ t }) => Number.isFinite(t))
    .sort((a, b) => a.t - b.t);
  const shadow = settings.mode === "auto" ? minutes.some(({ m }) => m.paired !== undefined) : settings.mode === "shadow";
  const business = input.business ?? [];
  const run = new JudgeRun(
    settings,
    shadow,
    band,
    business.map((b) => b.definition),
  );
  const businessAt = businessByMinute(business);
  const first = input.from !== undefined ? minuteIndex(input.from) : (minutes[0]?.t ?? Number.NaN);
  const last = input.now !== undefined ? minuteIndex(input.now) : (minutes[minutes.length - 1]?.t ?? Number.NaN);
  let stepStart = first;
  let lastShare: number | undefined;
  let lastReported = Number.NaN;
  let i = 0;
  while (i < minutes.length && (minutes[i] as { t: number }).t < first) i++;
  for (let t = first; t <= last; t++) {
    let reported = false;
    let warmup = false;
    while (i < minutes.length && (minutes[i] as { t: number }).t === t) {
      const { m } = minutes[i] as { m: JudgeMinute };
      i++;
      if (m.targetShare !== undefined) {
        if (lastShare !== undefined && m.targetShare !== lastShare) {
          stepStart = t;
          run.newStep();
        }
        lastShare = m.targetShare;
      }
      if (!reported) run.reported();
      warmup = t - stepStart < settings.warmupMinutes;
      run.add(m, !warmup);
      reported = true;
      lastReported = t;
    }
    const atT = businessAt.get(t);
    if (atT !== undefined) run.addBusiness(atT, t - stepStart >= settings.warmupMinutes, lastShare);
    onMinute?.(t, reported, warmup, run);
  }
  return { run, shadow, first, last, stepStart, lastReported };
}

/**
 * Judges one flag: runs the anytime-valid tests over its minutes and answers with a state, the
 * numbers per metric and a one-sentence why. Pure and cheap (one pass, O(minutes)); the server
 * calls it every minute for every flag under watch.
 *
 * @example
 * const verdict = judge({ minutes: judgeMinutes(windows, shareAt), now }, parseJudgeSettings(flag.judge));
 * verdict.state; // "REGRESSION"
 * verdict.why;   // "dark errors 2.1 % vs 1.0 % on 2 480 paired requests; evidence 95 ≥ 80 → rollback"
 */
export function judge(input: JudgeInput, settings: JudgeSettings = DEFAULT_JUDGE_SETTINGS): JudgeVerdict {
  return verdictOf(walk(input, settings, false), settings);
}

/**
 * The analysis series for charts: per minute of the timeline, each metric's estimate, its
 * anytime-valid (1 − α) band and its harm and safe e-values so far.
 */
export function analysisSeries(input: JudgeInput, settings: JudgeSettings = DEFAULT_JUDGE_SETTINGS): SeriesMinute[] {
  const out: SeriesMinute[] = [];
  walk(input, settings, true, (t, reported, warmup, run) => {
    const metrics: SeriesMinute["metrics"] = {};
    for (const metric of JUDGE_METRICS) {
      const point = run.point(metric);
      if (point !== undefined) metrics[metric] = point;
    }
    for (const key of run.business.keys()) {
      const point = run.businessPoint(key);
      if (point !== undefined) metrics[businessMetricName(key)] = point;
    }
    out.push({ start: new Date(t * 60_000).toISOString(), reported, warmup, tested: reported && !warmup, metrics });
  });
  return out;
}

/** The business metrics' minutes by minute index and metric key (a metric's entries of one minute add up). */
function businessByMinute(inputs: readonly BusinessMetricInput[]): Map<number, Map<string, BusinessMetricMinute>> {
  const out = new Map<number, Map<string, BusinessMetricMinute>>();
  for (const { definition, minutes } of inputs) {
    for (const m of minutes) {
      const t = minuteIndex(m.start);
      if (!Number.isFinite(t)) continue;
      let byKey = out.get(t);
      if (byKey === undefined) {
        byKey = new Map();
        out.set(t, byKey);
      }
      const known = byKey.get(definition.key);
      if (known === undefined) byKey.set(definition.key, m);
      else {
        // A metric reported twice for a minute (several reporters): its arms add up.
        const sum = { start: m.start, base: { ...known.base }, dark: { ...known.dark } };
        addArmInto(sum.base, m.base);
        addArmInto(sum.dark, m.dark);
        byKey.set(definition.key, sum);
      }
    }
  }
  return out;
}

function verdictOf(w: Walk, settings: JudgeSettings): JudgeVerdict {
  const { run, shadow } = w;
  const empty = !Number.isFinite(w.first) || !Number.isFinite(w.last) || w.last < w.first;
  const alpha = settings.alpha;
  const decisionNames = JUDGE_METRICS.filter((m) => run.metrics.has(m));
  const business = [...run.business.values()];
  const criticalBusiness = business.filter((m) => m.definition.critical);
  const watchedBusiness = business.length - criticalBusiness.length;
  const k = decisionNames.length + settings.criticalFields.length + criticalBusiness.length;
  const harmThreshold = k / alpha;
  // SAFE needs every critical metric's safe side: an intersection-union test, each at level α.
  const safeThreshold = 1 / alpha;
  const metrics: MetricVerdict[] = decisionNames.map((name) =>
    metricVerdict({ name, metric: run.metrics.get(name) as RatioMetric, run, settings, harmThreshold, safeThreshold }),
  );
  for (const path of settings.criticalFields) {
    const m = run.fields.get(path);
    const harm = side(m?.harm.logE ?? 0, settings.tolerances.mismatches, harmThreshold, m?.harm.maxLogE ?? 0);
    metrics.push({
      metric: `field:${path}`,
      test: "mismatch rate against the noise reference (stable vs stable), rate-ratio test per minute",
      decision: true,
      critical: true,
      estimate: m?.estimate ?? null,
      dark: counts(m?.darkEvents ?? 0, m?.darkExposure ?? 0),
      baseline: counts(m?.baseEvents ?? 0, m?.baseExposure ?? 0),
      harm,
      safe: null,
      minutesTested: m?.minutes ?? 0,
      note: m === undefined ? "no differences or noise reference seen for this field" : undefined,
    });
  }
  for (const m of business) {
    // A watched metric is one of the e-BH family of watched metrics: its bar for a lone discovery is m/q.
    const threshold = m.definition.critical ? harmThreshold : watchedBusiness / settings.diagnosticsQ;
    metrics.push(businessVerdict(m, run, threshold, safeThreshold));
  }

  const elapsed = empty ? 0 : w.last - w.stepStart + 1;
  const stepMinutes = Math.max(0, elapsed);
  const health = healthOf(w, settings, empty);
  const evidenceNeeded = evidenceOf(run, shadow, harmThreshold, settings);
  const diagnostics = run.diagnostics();

  const regression = metrics.find((m) => m.decision && m.harm.crossed && m.critical) ?? metrics.find((m) => m.decision && m.harm.crossed);
  const critical = metrics.filter((m) => m.critical);
  const unhealthy =
    health.srm?.crossed === true || health.exposureSrm?.crossed === true || health.mirrorLoss?.exceeded === true || health.gap.exceeded;
  const errorsCritical = settings.critical.includes("errors");
  const noData = run.stepTestedMinutes === 0 || evidenceNeeded.seen === 0;
  const lowExposure = errorsCritical && (evidenceNeeded.remaining === null || evidenceNeeded.remaining > 0);
  // A critical business metric with too few events on an arm can prove nothing either way yet.
  const sparseBusiness = metrics.find(
    (m) => m.critical && m.business !== undefined && m.business.fewestEvents < m.business.minEvents && !m.harm.crossed,
  );
  const insufficient = empty || noData || health.coverage.low || lowExposure || sparseBusiness !== undefined;
  const safe = critical.length > 0 && critical.every((m) => m.safe?.crossed === true) && stepMinutes >= settings.minStepMinutes;

  let state: JudgeState;
  let action: JudgeAction;
  if (regression !== undefined) {
    state = "REGRESSION";
    action = regression.critical ? "rollback" : "hold";
  } else if (unhealthy) {
    state = "UNHEALTHY";
    action = "hold";
  } else if (insufficient) {
    state = "INSUFFICIENT";
    action = "hold";
  } else if (safe) {
    state = "SAFE";
    action = "advance";
  } else if (stepMinutes >= settings.maxStepMinutes) {
    state = "INCONCLUSIVE";
    action = "hold";
  } else {
    state = "RUNNING";
    action = "none";
  }
  const verdict: JudgeVerdict = {
    state,
    action,
    why: "",
    mode: shadow ? "shadow" : "split",
    at: empty ? null : new Date(w.last * 60_000).toISOString(),
    alpha,
    decisionMetrics: k,
    metrics,
    health,
    evidenceNeeded,
    step: {
      start: empty ? null : new Date(w.stepStart * 60_000).toISOString(),
      minutes: stepMinutes,
      warmupMinutes: Math.min(settings.warmupMinutes, stepMinutes),
      testedMinutes: run.stepTestedMinutes,
      minMinutes: settings.minStepMinutes,
      maxMinutes: settings.maxStepMinutes,
    },
    diagnostics,
  };
  verdict.why = explain(verdict, { regression, noData, empty, sparseBusiness });
  return verdict;
}

function side(logE: number, nullRatio: number, threshold: number, maxLogE = logE): EvidenceSide {
  return { nullRatio, e: eValue(logE), logE, maxE: eValue(maxLogE), threshold, crossed: maxLogE >= Math.log(threshold) };
}

/** The safe side: crossed only while the e-value is at its threshold now (see `EvidenceSide.crossed`). */
function safeSide(logE: number, nullRatio: number, threshold: number, maxLogE = logE): EvidenceSide {
  return { ...side(logE, nullRatio, threshold, maxLogE), crossed: logE >= Math.log(threshold) };
}

function metricVerdict(options: {
  name: JudgeMetric;
  metric: RatioMetric;
  run: JudgeRun;
  settings: JudgeSettings;
  harmThreshold: number;
  safeThreshold: number;
}): MetricVerdict {
  const { name, metric: m, run, settings } = options;
  const shadowErrors = name === "errors" && run.shadow;
  const out: MetricVerdict = {
    metric: name,
    test: TESTS[name][run.shadow ? "shadow" : "split"],
    decision: true,
    critical: settings.critical.includes(name),
    estimate: m.estimate,
    // Shadow errors: the tested events are discordant pairs, the rates shown are each side's over the pairs.
    dark: shadowErrors ? counts(run.pairDarkErrors, run.pairs) : counts(m.darkEvents, m.darkExposure),
    baseline: shadowErrors ? counts(run.pairBaseErrors, run.pairs) : counts(m.baseEvents, m.baseExposure),
    harm: side(m.harm.logE, m.harm.nullRatio, options.harmThreshold, m.harm.maxLogE),
    safe: m.safe === undefined ? null : safeSide(m.safe.logE, m.safe.nullRatio, options.safeThreshold, m.safe.maxLogE),
    minutesTested: m.minutes,
  };
  if (name === "latencyP95" || name === "latencyP99") {
    const t = run.thresholds[name];
    if (t === undefined) out.note = "no baseline latency yet to freeze the threshold from";
    else {
      out.thresholdMs = t.ms;
      out.quantile = t.quantile;
    }
  }
  return out;
}

function businessVerdict(m: BusinessMetric, run: JudgeRun, harmThreshold: number, safeThreshold: number): MetricVerdict {
  const d = m.definition;
  const estimate = m.estimate;
  const dark = businessCounts(m, "dark");
  const needed = m.exposuresNeeded(harmThreshold);
  const minEvents = run.settings.business.minEvents;
  const harm = m.harm;
  const safe = m.safe;
  return {
    metric: businessMetricName(d.key),
    test: BUSINESS_TESTS[d.kind],
    decision: d.critical,
    critical: d.critical,
    estimate,
    dark,
    baseline: businessCounts(m, "base"),
    harm: side(harm.logE, harm.nullRatio, harmThreshold, harm.maxLogE),
    safe: safeSide(safe.logE, safe.nullRatio, safeThreshold, safe.maxLogE),
    minutesTested: m.minutes,
    business: {
      key: d.key,
      event: d.event,
      kind: d.kind,
      direction: d.direction,
      tolerance: d.tolerance,
      darkRate: m.rate("dark"),
      baseRate: m.rate("base"),
      relativeEffect: estimate === null ? null : estimate - 1,
      fewestEvents: m.fewestEvents,
      minEvents,
    },
    evidenceNeeded: {
      exposures: needed,
      seen: dark.exposure,
      remaining: needed === null ? null : Math.max(0, needed - dark.exposure),
      effect: run.settings.business.detectEffect,
    },
    note: m.minutes === 0 ? `no tested minutes with ${d.event} exposures yet` : undefined,
  };
}

const BUSINESS_TESTS: Record<BusinessMetricDefinition["kind"], string> = {
  conversion: "conditional binomial rate-ratio test per minute on converted of exposed subjects",
  count: "conditional Poisson rate-ratio test per minute on events per exposed subject",
  value: "sub-Gaussian mixture test on per-minute differences of value per exposed subject, variance plugged in from earlier minutes",
};

function healthOf(w: Walk, settings: JudgeSettings, empty: boolean): HealthReport {
  const { run } = w;
  const h = settings.health;
  const elapsed = empty ? 0 : w.last - w.stepStart + 1;
  const reported = run.stepReportedMinutes;
  const share = elapsed > 0 ? reported / elapsed : 0;
  const gapMinutes = empty ? 0 : Number.isNaN(w.lastReported) ? w.last - w.first + 1 : w.last - w.lastReported;
  const srmThreshold = 1 / h.srmAlpha;
  const srmOf = (test: ShareTest) => ({
    observedShare: test.observedShare,
    targetShare: test.targetShare,
    e: eValue(test.logE),
    threshold: srmThreshold,
    crossed: test.logE >= Math.log(srmThreshold),
  });
  return {
    srm: run.shadow ? null : srmOf(run.srm),
    exposureSrm: run.shadow || run.business.size === 0 ? null : srmOf(run.exposureSrm),
    mirrorLoss: run.shadow
      ? (() => {
          const loss = run.mirrorExpected > 0 ? Math.max(0, 1 - run.mirrorPaired / run.mirrorExpected) : null;
          // Judged only on enough mirrors that a few lost ones are not the whole story.
          const exceeded = loss !== null && run.mirrorExpected >= 100 && loss > h.maxMirrorLoss;
          return { loss, expected: Math.round(run.mirrorExpected), paired: run.mirrorPaired, limit: h.maxMirrorLoss, exceeded };
        })()
      : null,
    coverage: { reported, elapsed, share, minimum: h.minCoverage, low: elapsed > 0 && share < h.minCoverage },
    gap: { minutes: gapMinutes, limit: h.gapMinutes, exceeded: h.gapMinutes > 0 && gapMinutes >= h.gapMinutes },
  };
}

function evidenceOf(run: JudgeRun, shadow: boolean, threshold: number, settings: JudgeSettings): EvidenceNeeded {
  const errors = run.metrics.get("errors") as RatioMetric;
  let baseRate: number | null;
  let seen: number;
  let darkShare: number;
  if (shadow) {
    baseRate = run.pairs > 0 && run.pairBaseErrors > 0 ? run.pairBaseErrors / run.pairs : null;
    seen = run.pairs;
    darkShare = 0.5;
  } else {
    baseRate = errors.baseExposure > 0 && errors.baseEvents > 0 ? errors.baseEvents / errors.baseExposure : null;
    seen = errors.darkExposure;
    const total = errors.darkExposure + errors.baseExposure;
    darkShare = total > 0 ? errors.darkExposure / total : 0.5;
  }
  const requests = darkRequestsNeeded({ baseRate, darkShare, shadow, nullRatio: settings.tolerances.errors, threshold });
  return { requests, seen, remaining: requests === null ? null : Math.max(0, requests - seen), baseRate };
}
