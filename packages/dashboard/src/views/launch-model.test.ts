import type { AnalysisResponse, RampRecord, RampVerdictListResponse, VerdictResponse } from "@darklaunch/core";
import { describe, expect, it } from "vitest";
import {
  advanceCriteria,
  burnWords,
  divergenceTrend,
  effectColumns,
  errorBudgetBurn,
  errorRateObjective,
  evidenceFraction,
  evidenceMeters,
  formatEvidence,
  formatRatioDelta,
  hasEstimate,
  type MetricVerdict,
  metricLabel,
  metricState,
  planFromForm,
  rampControls,
  rampTimeline,
  tileMetrics,
  trafficShare,
} from "./launch-model.js";

const side = (e: number | null, threshold: number, crossed = false) => ({ nullRatio: 1.1, e, logE: null, maxE: e, threshold, crossed });
const counts = { events: 0, exposure: 0, rate: null };
function metric(name: string, over: Partial<MetricVerdict> = {}): MetricVerdict {
  return {
    metric: name,
    test: "test",
    decision: true,
    critical: false,
    estimate: 1,
    dark: counts,
    baseline: counts,
    harm: side(1, 60),
    safe: side(1, 20),
    minutesTested: 3,
    ...over,
  };
}

describe("formatting", () => {
  it("writes a ratio as a signed change, with a real minus and ± for no change", () => {
    expect(formatRatioDelta(1.25)).toBe("+25.0 %");
    expect(formatRatioDelta(0.9)).toBe("−10.0 %");
    expect(formatRatioDelta(1)).toBe("±0.0 %");
    expect(formatRatioDelta(null)).toBe("—");
  });
  it("writes e-values short, and null (past 1e308) as infinity", () => {
    expect(formatEvidence(0.4213)).toBe("0.42");
    expect(formatEvidence(3.14)).toBe("3.1");
    expect(formatEvidence(41.6)).toBe("42");
    expect(formatEvidence(1.2e6)).toBe("1.2e6");
    expect(formatEvidence(null)).toBe("∞");
  });
  it("names metrics, fields and business metrics", () => {
    expect(metricLabel("latencyP99")).toBe("Latency p99");
    expect(metricLabel("field:body.total")).toBe("Field body.total");
    expect(metricLabel("checkout_conversion")).toBe("checkout_conversion");
  });
});

describe("evidence meters", () => {
  it("places an e-value on a log scale toward its threshold", () => {
    expect(evidenceFraction(0.5, 60)).toBe(0);
    expect(evidenceFraction(1, 60)).toBe(0);
    expect(evidenceFraction(Math.sqrt(60), 60)).toBeCloseTo(0.5, 10);
    expect(evidenceFraction(60, 60)).toBe(1);
    expect(evidenceFraction(1e9, 60)).toBe(1);
    expect(evidenceFraction(null, 60)).toBe(1);
  });
  it("has a rollback meter always and an advance meter when the metric has a safe side", () => {
    expect(evidenceMeters(metric("errors")).map((m) => m.label)).toEqual(["toward rollback", "toward advance"]);
    expect(evidenceMeters(metric("errors", { safe: null })).map((m) => m.label)).toEqual(["toward rollback"]);
  });
  it("fills a crossed harm meter and names its peak when the e-value has fallen since", () => {
    const fallen = { ...side(12, 80, true), maxE: 95 };
    const [harm] = evidenceMeters(metric("errors", { harm: fallen }));
    expect(harm).toMatchObject({ e: 12, peak: 95, fraction: 1, crossed: true });
    const [atPeak] = evidenceMeters(metric("errors", { harm: side(95, 80, true) }));
    expect(atPeak?.peak).toBeUndefined();
    // Safe is crossed only while it holds now: its meter stays at the e-value now.
    const [, safe] = evidenceMeters(metric("errors", { safe: { ...side(25, 20, true), maxE: 400 } }));
    expect(safe).toMatchObject({ e: 25, crossed: true });
    expect(safe?.peak).toBeUndefined();
  });
  it("reads a metric's state from its crossings", () => {
    expect(metricState(metric("errors", { harm: side(70, 60, true) }))).toBe("regression");
    expect(metricState(metric("errors", { safe: side(30, 20, true) }))).toBe("safe");
    expect(metricState(metric("errors"))).toBe("testing");
    expect(metricState(metric("latencyP95", { minutesTested: 0, note: "no baseline latency" }))).toBe("untested");
  });
  it("gives a tile to each decision metric and each business metric, not to diagnostic fields", () => {
    const tiles = tileMetrics([
      metric("errors"),
      metric("field:body.x", { decision: false }),
      metric("revenue_per_visit", { decision: false }),
      metric("field:body.total"),
    ]);
    expect(tiles.map((m) => m.metric)).toEqual(["errors", "revenue_per_visit", "field:body.total"]);
  });
});

describe("effect chart data", () => {
  it("shapes a metric's series into x, estimate, band, tolerance and 1, with gaps where the minute has none", () => {
    const analysis: Pick<AnalysisResponse, "series"> = {
      series: [
        { start: "2026-12-01T10:00:00.000Z", reported: true, warmup: true, tested: false, metrics: {} },
        {
          start: "2026-12-01T10:01:00.000Z",
          reported: true,
          warmup: false,
          tested: true,
          metrics: { errors: { estimate: 1.05, band: [0.8, 1.3], eHarm: 1, eSafe: 2 } },
        },
      ],
    };
    const columns = effectColumns(analysis, "errors", 1.1);
    expect(columns).toEqual([
      [1796119200, 1796119260],
      [null, 1.05],
      [null, 0.8],
      [null, 1.3],
      [1.1, 1.1],
      [1, 1],
    ]);
    expect(hasEstimate(columns)).toBe(true);
    expect(hasEstimate(effectColumns(analysis, "latencyP95", 1.2))).toBe(false);
  });
});

function verdictWith(over: { minutes: number; coverageLow?: boolean; srm?: boolean; metrics?: MetricVerdict[] }) {
  return {
    metrics: over.metrics ?? [],
    step: { minutes: over.minutes, warmupMinutes: 2, testedMinutes: 0, minMinutes: 10, maxMinutes: 60 },
    health: {
      srm: over.srm === undefined ? null : { crossed: over.srm },
      mirrorLoss: null,
      coverage: { reported: 5, elapsed: 5, share: over.coverageLow ? 0.5 : 1, minimum: 0.9, low: over.coverageLow ?? false },
      gap: { minutes: 0, limit: 5, exceeded: false },
    },
  } as Pick<VerdictResponse, "metrics" | "health" | "step">;
}

describe("the criteria checklist", () => {
  it("ticks each criterion to advance from the verdict's numbers", () => {
    const safe = metric("errors", { critical: true, safe: side(30, 20, true) });
    const waiting = metric("latencyP99", { critical: true });
    const early = advanceCriteria(verdictWith({ minutes: 1, coverageLow: true, srm: true, metrics: [safe, waiting] }));
    expect(early.map((c) => [c.label, c.met])).toEqual([
      ["Warm-up done", false],
      ["Minimum step time", false],
      ["Coverage", false],
      ["Every critical metric safe", false],
      ["Health ok", false],
    ]);
    expect(early[3]!.detail).toBe("waiting on Latency p99");
    expect(early[4]!.detail).toBe("sample-ratio mismatch");
    const ready = advanceCriteria(
      verdictWith({ minutes: 12, metrics: [safe, metric("latencyP99", { critical: true, safe: side(25, 20, true) })] }),
    );
    expect(ready.every((c) => c.met)).toBe(true);
    expect(ready[1]!.detail).toBe("12 min of 10 min");
  });
  it("does not tick safety for a critical metric whose harm crossed, though it proved safe since", () => {
    const recovered = metric("errors", { critical: true, harm: { ...side(0.01, 60, true), maxE: 95 }, safe: side(30, 20, true) });
    const safe = metric("latencyP99", { critical: true, safe: side(25, 20, true) });
    const criteria = advanceCriteria(verdictWith({ minutes: 12, metrics: [recovered, safe] }));
    expect(criteria[3]).toMatchObject({ met: false, detail: "Errors crossed toward rollback" });
  });
  it("does not call a step safe when no metric is critical", () => {
    const criteria = advanceCriteria(verdictWith({ minutes: 12, metrics: [metric("errors")] }));
    expect(criteria[3]).toMatchObject({ met: false, detail: "no critical metric" });
  });
});

const event = (at: number, kind: string, percentage: number, verdict?: { state: string; why: string }) => ({
  at,
  kind,
  phase: "serve",
  step: 0,
  target: { phase: "serve", percentage },
  by: kind === "pause" ? "alice" : "ramp",
  why: `${kind} why`,
  ...(verdict ? { verdict: { ...verdict, criticalHarm: false, crossed: [] } } : {}),
});

describe("the ramp timeline", () => {
  it("makes one step per target with the verdict that ended it; pauses stay inside their step", () => {
    const ramp = {
      state: {
        history: [
          event(1000, "start", 1),
          event(2000, "pause", 1),
          event(3000, "resume", 1),
          event(5000, "advance", 5, { state: "SAFE", why: "errors proven safe" }),
          event(9000, "promote", 25),
        ],
      },
    } as unknown as Pick<RampRecord, "state">;
    const verdicts: RampVerdictListResponse["verdicts"] = [
      { at: new Date(8000).toISOString(), state: "RUNNING", action: "hold", replica: "r", why: "still collecting", verdict: {} },
      { at: new Date(9500).toISOString(), state: "SAFE", action: "advance", replica: "r", why: "later", verdict: {} },
    ];
    const steps = rampTimeline(ramp, verdicts);
    expect(steps.map((s) => [s.label, s.startedAt, s.endedAt, s.endedBy, s.verdict?.state ?? null])).toEqual([
      ["serve 1 %", 1000, 5000, "advance", "SAFE"],
      ["serve 5 %", 5000, 9000, "promote", "RUNNING"],
      ["serve 25 %", 9000, null, null, null],
    ]);
    expect(steps[0]!.notes.map((n) => n.kind)).toEqual(["pause", "resume"]);
  });
  it("closes the last step on completion without opening another", () => {
    const ramp = { state: { history: [event(1000, "start", 100), event(2000, "complete", 100, { state: "SAFE", why: "done" })] } };
    const steps = rampTimeline(ramp as unknown as Pick<RampRecord, "state">);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ endedBy: "complete", verdict: { state: "SAFE" } });
  });
});

describe("the executive summary", () => {
  const totals = (base: number, dark: number) =>
    ({
      baseline: { requests: base },
      dark: { requests: dark },
    }) as never;
  it("takes the ramp's target and the observed dark share", () => {
    const ramp = { status: "running", state: { target: { phase: "serve", percentage: 25 } } } as Pick<RampRecord, "status" | "state">;
    expect(trafficShare("split", ramp, 5, totals(750, 250))).toEqual({ how: "served from dark", target: 25, observed: 0.25 });
    const shadow = { status: "paused", state: { target: { phase: "shadow", percentage: 10 } } } as Pick<RampRecord, "status" | "state">;
    expect(trafficShare("split", shadow, 0, totals(1000, 100))).toEqual({ how: "mirrored to dark", target: 10, observed: 0.1 });
    expect(trafficShare("split", undefined, 7, undefined)).toEqual({ how: "served from dark", target: 7, observed: null });
  });
  it("calls the divergence trend from the later half against the earlier", () => {
    const point = (total: number, mismatched: number) => ({ comparison: { total, matched: total - mismatched, mismatched } }) as never;
    expect(divergenceTrend([point(100, 1), point(100, 1), point(100, 5), point(100, 5)]).direction).toBe("up");
    expect(divergenceTrend([point(100, 5), point(100, 5), point(100, 1), point(100, 1)]).direction).toBe("down");
    expect(divergenceTrend([point(100, 2), point(100, 2), point(100, 2), point(100, 2)]).direction).toBe("flat");
    expect(divergenceTrend([point(0, 0), point(100, 2)]).direction).toBe("unknown");
  });
  it("burns the error budget only when an objective is set", () => {
    expect(errorBudgetBurn(0.02, 0.01)).toBe(2);
    expect(errorBudgetBurn(0.02, undefined)).toBeUndefined();
    expect(errorBudgetBurn(null, 0.01)).toBeUndefined();
    expect(errorBudgetBurn(0, 0.01)).toBe(0);
  });

  it("takes the objective from a ramp in progress, else from the flag", () => {
    const ramp = (status: RampRecord["status"], objective?: number) =>
      ({ status, judgeEffective: { settings: { errorRateObjective: objective }, sources: {} } }) as unknown as RampRecord;
    expect(errorRateObjective(undefined, { errorRateObjective: 0.001 })).toBe(0.001);
    expect(errorRateObjective(null, {})).toBeUndefined();
    expect(errorRateObjective(null, undefined)).toBeUndefined();
    expect(errorRateObjective(ramp("running", 0.02), { errorRateObjective: 0.001 })).toBe(0.02);
    expect(errorRateObjective(ramp("paused"), { errorRateObjective: 0.001 })).toBeUndefined();
    // A finished ramp no longer speaks for the flag.
    expect(errorRateObjective(ramp("completed", 0.02), { errorRateObjective: 0.001 })).toBe(0.001);
  });

  it("says the burn in words, not colour alone", () => {
    expect(burnWords(2)).toEqual({ mark: "⚠", level: "over budget", words: "over budget: 2.00× the allowed errors", over: true });
    expect(burnWords(0.9).words).toBe("near budget: 0.90× the allowed errors");
    expect(burnWords(0.25)).toMatchObject({ mark: "✓", words: "within budget: 0.25× the allowed errors", over: false });
  });
});

describe("ramp controls and the plan form", () => {
  const ramp = (status: string, lastVerdict: unknown = null) => ({ status, state: { lastVerdict } }) as unknown as RampRecord;
  it("offers only what the ramp's status allows", () => {
    expect(rampControls(undefined)).toMatchObject({ start: true, pause: false, resume: false, abort: false, dismiss: false });
    expect(rampControls(ramp("completed"))).toMatchObject({ start: true, abort: false });
    expect(rampControls(ramp("running"))).toMatchObject({
      start: false,
      pause: true,
      resume: false,
      promote: true,
      abort: true,
      dismiss: false,
    });
    expect(rampControls(ramp("paused"))).toMatchObject({ pause: false, resume: true, promote: false, abort: true });
    expect(rampControls(ramp("running", { state: "INSUFFICIENT", criticalHarm: false })).dismiss).toBe(true);
    expect(rampControls(ramp("running", { state: "REGRESSION", criticalHarm: true })).dismiss).toBe(false);
    expect(rampControls(ramp("running", { state: "SAFE", criticalHarm: false })).dismiss).toBe(false);
  });
  it("turns the form into a plan and names a bad step", () => {
    expect(planFromForm({ steps: "1, 5 25%, 100", minStep: "3m", maxStep: "30", warmup: "1m", onInconclusive: "advance" })).toEqual({
      plan: { steps: [1, 5, 25, 100], minStep: "3m", maxStep: 30, warmup: "1m", onInconclusive: "advance" },
    });
    expect(planFromForm({ steps: "1, five", minStep: "", maxStep: "", warmup: "", onInconclusive: "hold" })).toEqual({
      problem: 'Steps: "five" is not a percentage above 0 and at most 100.',
    });
    expect(planFromForm({ steps: " ", minStep: "", maxStep: "", warmup: "", onInconclusive: "hold" })).toHaveProperty("problem");
  });
});
