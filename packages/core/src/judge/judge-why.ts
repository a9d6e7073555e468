import type { JudgeVerdict, MetricVerdict } from "./judge-types.js";

/** "2 480": digits grouped by thin-free spaces, as people read counts. */
export function formatCount(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, " ");
}

/** A rate as a percentage with two significant digits at least one decimal: 0.31 %, 2.1 %, 12.0 %. */
export function formatRate(rate: number | null): string {
  if (rate === null) return "n/a";
  const pct = rate * 100;
  const digits = pct === 0 ? 1 : Math.max(1, Math.min(4, 1 - Math.floor(Math.log10(Math.abs(pct)))));
  return `${pct.toFixed(digits)} %`;
}

/** An e-value or threshold: whole above 10, one decimal below. */
export function formatEvidence(e: number): string {
  if (e >= 1e6) return e.toExponential(1).replace("+", "");
  return e >= 10 ? formatCount(e) : e.toFixed(1);
}

const NAMES: Record<string, string> = {
  errors: "errors",
  latencyP95: "p95 latency",
  latencyP99: "p99 latency",
  latencyPaired: "paired latency",
};

function nameOf(m: MetricVerdict): string {
  if (m.business !== undefined) {
    const b = m.business;
    return b.kind === "conversion" ? `${b.key} conversion` : b.kind === "count" ? `${b.key} (${b.event} per exposed subject)` : b.key;
  }
  return NAMES[m.metric] ?? `mismatches of ${m.metric.slice("field:".length)}`;
}

/** A relative effect with its sign: "−8.8 %", "+2.0 %". */
export function formatEffect(relative: number | null): string {
  if (relative === null) return "n/a";
  const pct = relative * 100;
  const text = `${Math.abs(pct).toFixed(Math.abs(pct) >= 10 ? 0 : 1)} %`;
  return pct < 0 ? `−${text}` : `+${text}`;
}

/** An amount per exposed subject (events, revenue): three significant digits. */
function formatAmount(x: number | null): string {
  if (x === null) return "n/a";
  if (Math.abs(x) >= 100) return formatCount(x);
  return x === 0
    ? "0"
    : x
        .toPrecision(3)
        .replace(/(\.\d*?)0+$/, "$1")
        .replace(/\.$/, "");
}

function measuredBusiness(m: MetricVerdict): string {
  const b = m.business as NonNullable<MetricVerdict["business"]>;
  const effect = formatEffect(b.relativeEffect);
  if (b.kind === "conversion") {
    return `${nameOf(m)} ${formatRate(b.darkRate)} on dark vs ${formatRate(b.baseRate)} on baseline, ${effect}`;
  }
  const unit = b.kind === "value" ? ` per exposed subject (Σ ${b.event} value)` : " per exposed subject";
  return `${b.key} ${formatAmount(b.darkRate)}${unit} on dark vs ${formatAmount(b.baseRate)} on baseline, ${effect}`;
}

/** What the metric measured, in words with numbers. */
function measured(m: MetricVerdict, shadow: boolean): string {
  if (m.business !== undefined) return measuredBusiness(m);
  if (m.metric === "errors") {
    return shadow
      ? `dark errors ${formatRate(m.dark.rate)} vs ${formatRate(m.baseline.rate)} on ${formatCount(m.dark.exposure)} paired requests`
      : `dark errors ${formatRate(m.dark.rate)} of ${formatCount(m.dark.exposure)} vs ${formatRate(m.baseline.rate)} of ${formatCount(m.baseline.exposure)} requests`;
  }
  if (m.metric === "latencyPaired") {
    return `dark slower on ${formatCount(m.dark.events)} vs faster on ${formatCount(m.baseline.events)} pairs`;
  }
  if (m.thresholdMs !== undefined) {
    const q = Math.round((m.quantile ?? 0) * 100);
    return `dark above the baseline p${q} (${m.thresholdMs.toFixed(1)} ms) ${formatRate(m.dark.rate)} of ${formatCount(m.dark.exposure)} vs ${formatRate(m.baseline.rate)} of ${formatCount(m.baseline.exposure)} requests`;
  }
  return `${nameOf(m)} ${formatRate(m.dark.rate)} vs noise ${formatRate(m.baseline.rate)} of ${formatCount(m.dark.exposure)} comparisons`;
}

/** The one sentence of a verdict: what decided it, with the numbers. */
export function explain(
  v: JudgeVerdict,
  context: { regression: MetricVerdict | undefined; noData: boolean; empty: boolean; sparseBusiness?: MetricVerdict | undefined },
): string {
  const shadow = v.mode === "shadow";
  const h = v.health;
  switch (v.state) {
    case "REGRESSION": {
      const m = context.regression as MetricVerdict;
      const act = v.action === "rollback" ? "rollback" : `hold (${nameOf(m)} is not critical)`;
      // The harm side crossed on its running maximum (anytime-valid: a crossing stays crossed), so the
      // sentence cites that peak; the e-value now can have fallen since, which is worth saying.
      const peak = formatEvidence(m.harm.maxE);
      const now = formatEvidence(m.harm.e);
      const since = now === peak ? "" : ` (now ${now})`;
      return `${measured(m, shadow)}; evidence ${peak} ≥ ${formatEvidence(m.harm.threshold)}${since} → ${act}`;
    }
    case "UNHEALTHY": {
      if (h.srm?.crossed === true) {
        return `dark got ${formatRate(h.srm.observedShare)} of requests against a target of ${formatRate(h.srm.targetShare)} (sample-ratio mismatch, evidence ${formatEvidence(h.srm.e)} ≥ ${formatEvidence(h.srm.threshold)}) → hold`;
      }
      if (h.exposureSrm?.crossed === true) {
        return `dark got ${formatRate(h.exposureSrm.observedShare)} of the exposed subjects against a target of ${formatRate(h.exposureSrm.targetShare)} (sample-ratio mismatch of the business metrics' exposures, evidence ${formatEvidence(h.exposureSrm.e)} ≥ ${formatEvidence(h.exposureSrm.threshold)}) → hold`;
      }
      if (h.mirrorLoss?.exceeded === true) {
        return `${formatRate(h.mirrorLoss.loss)} of ${formatCount(h.mirrorLoss.expected)} mirrors meant ended without a paired outcome (dropped at the in-flight bound, a breaker or the body limit, or unanswered; limit ${formatRate(h.mirrorLoss.limit)}) → hold`;
      }
      return `no observations for the last ${h.gap.minutes} minutes (limit ${h.gap.limit}) → hold`;
    }
    case "INSUFFICIENT": {
      if (context.empty || context.noData) {
        return v.step.testedMinutes === 0 && h.coverage.reported > 0
          ? `warming up: minute ${v.step.minutes} of the step, the first ${v.step.warmupMinutes} are shown but not tested → hold`
          : `no dark traffic observed in ${h.coverage.reported} reported minutes → hold`;
      }
      if (h.coverage.low) {
        return `only ${h.coverage.reported} of ${h.coverage.elapsed} minutes reported (${formatRate(h.coverage.share)} < ${formatRate(h.coverage.minimum)}) → hold`;
      }
      const e = v.evidenceNeeded;
      const sparse = context.sparseBusiness?.business;
      if (sparse !== undefined && e.remaining === 0) {
        const what = sparse.kind === "conversion" ? "conversions" : `${sparse.event} events`;
        return `${nameOf(context.sparseBusiness as MetricVerdict)}: ${formatCount(sparse.fewestEvents)} of the ${formatCount(sparse.minEvents)} ${what} needed on each arm before it can be judged → hold`;
      }
      const unit = shadow ? "paired requests" : "dark requests";
      if (e.requests === null) {
        return `no baseline errors in ${formatCount(e.seen)} ${unit} yet: the base rate, and so the evidence needed, is unknown → hold`;
      }
      return `${formatCount(e.seen)} of the ${formatCount(e.requests)} ${unit} needed to see a 2× error regression at the base rate ${formatRate(e.baseRate)} → hold`;
    }
    case "SAFE": {
      const parts = v.metrics
        .filter((m) => m.critical)
        .map((m) =>
          m.business !== undefined
            ? `${nameOf(m)} ${formatEffect(m.business.relativeEffect)} (evidence ${formatEvidence(m.safe?.e ?? 0)} ≥ ${formatEvidence(m.safe?.threshold ?? 0)} for no worse than ${formatEffect((m.safe?.nullRatio ?? 1) - 1)})`
            : `${nameOf(m)} ratio ${ratio(m.estimate)} (evidence ${formatEvidence(m.safe?.e ?? 0)} ≥ ${formatEvidence(m.safe?.threshold ?? 0)} for < ${m.safe?.nullRatio})`,
        );
      return `${parts.join(", ")} after ${v.step.minutes} minutes → advance`;
    }
    case "INCONCLUSIVE":
    case "RUNNING": {
      const top = strongest(v.metrics);
      const what =
        top === undefined
          ? "no metric tested yet"
          : `${measured(top, shadow)}; strongest harm evidence ${nameOf(top)} ${formatEvidence(top.harm.e)} of ${formatEvidence(top.harm.threshold)}`;
      return v.state === "INCONCLUSIVE"
        ? `after ${v.step.minutes} minutes (maximum ${v.step.maxMinutes}) neither harm nor safety proven: ${what} → policy`
        : `collecting, minute ${v.step.minutes} of at least ${v.step.minMinutes}: ${what}`;
    }
  }
}

function strongest(metrics: readonly MetricVerdict[]): MetricVerdict | undefined {
  let best: MetricVerdict | undefined;
  for (const m of metrics) if (m.minutesTested > 0 && (best === undefined || m.harm.logE > best.harm.logE)) best = m;
  return best;
}

function ratio(r: number | null): string {
  return r === null ? "n/a" : r.toFixed(2);
}
