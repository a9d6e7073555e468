import { describe, expect, it } from "vitest";
import { MetricVerdictSchema, VerdictResponseSchema } from "../protocol/ramps.js";
import type { BusinessMetricArm, BusinessMetricDefinition, BusinessMetricMinute } from "./business-metric.js";
import { analysisSeries, judge } from "./judge.js";
import type { JudgeMinute } from "./judge-input.js";
import { parseJudgeSettings } from "./judge-settings.js";
import type { JudgeVerdict, MetricVerdict } from "./judge-types.js";
import { MeanRatioEProcess, meanExposuresNeeded } from "./mean-e-process.js";
import { businessMinute, seededRandom } from "./test-simulation.js";

const T0 = 29_000_000;
const iso = (t: number) => new Date((T0 + t) * 60_000).toISOString();

/** Steady request minutes with plenty of errors evidence and no signal: only the business metric can move the verdict. */
const requests = (count: number, share = 0.5): JudgeMinute[] =>
  Array.from({ length: count }, (_, t) => ({
    start: iso(t),
    targetShare: share,
    baseline: { requests: 5000, errors: 50 },
    dark: { requests: 5000, errors: 50 },
  }));

const arm = (exposed: number, converted: number, values: number[] = []): BusinessMetricArm => ({
  exposed,
  converted,
  events: Math.max(converted, values.length),
  sum: values.reduce((a, b) => a + b, 0),
  sumSq: values.reduce((a, b) => a + b * b, 0),
});

const CHECKOUT: BusinessMetricDefinition = {
  key: "checkout",
  event: "purchase",
  kind: "conversion",
  direction: "up",
  tolerance: 0.02,
  critical: true,
};

function business(v: JudgeVerdict, key = "checkout"): MetricVerdict {
  return v.metrics.find((m) => m.metric === `business:${key}`) as MetricVerdict;
}

function series(count: number, at: (t: number) => BusinessMetricMinute): BusinessMetricMinute[] {
  return Array.from({ length: count }, (_, t) => at(t));
}

describe("business metrics in the verdict", () => {
  it("a critical conversion that drops rolls back, with the numbers in the why", () => {
    const random = seededRandom(7);
    const minutes = series(40, (t) => businessMinute(random, T0 + t, { n: 40_000, share: 0.5, baseRate: 0.034, darkRate: 0.031 }));
    const v = judge({ minutes: requests(40), business: [{ definition: CHECKOUT, minutes }] });
    expect(v.state).toBe("REGRESSION");
    expect(v.action).toBe("rollback");
    expect(v.decisionMetrics).toBe(4); // errors, p95, p99 and the critical business metric
    const m = business(v);
    expect(m).toMatchObject({ decision: true, critical: true, business: { kind: "conversion", direction: "up", tolerance: 0.02 } });
    expect(m.harm).toMatchObject({ nullRatio: 0.98, threshold: 80, crossed: true });
    expect(m.business?.relativeEffect).toBeCloseTo(0.031 / 0.034 - 1, 1);
    expect(v.why).toMatch(/^checkout conversion 3\.\d+ % on dark vs 3\.\d+ % on baseline, −\d\.\d %; evidence [\d .e]+ ≥ 80 → rollback$/);
    expect(() => MetricVerdictSchema.parse(m)).not.toThrow();
    expect(() => VerdictResponseSchema.parse({ ...v, flag: "f", ok: false, from: iso(0), ramp: null })).not.toThrow();
  });

  it("equal conversion on plenty of traffic proves SAFE (no worse than tolerance + margin) and says so", () => {
    const random = seededRandom(8);
    const minutes = series(60, (t) => businessMinute(random, T0 + t, { n: 40_000, share: 0.5, baseRate: 0.03, darkRate: 0.03 }));
    const v = judge({ minutes: requests(60), business: [{ definition: CHECKOUT, minutes }] }, parseJudgeSettings({ critical: ["errors"] }));
    expect(business(v).safe).toMatchObject({ nullRatio: 0.88, crossed: true });
    expect(v.state).toBe("SAFE");
    expect(v.why).toMatch(/checkout conversion [+−]\d\.\d % \(evidence [\d .e]+ ≥ 20 for no worse than −12 %\)/);
  });

  it("sparse conversions (0/0, 0/1, 1/0, 2/0) and minutes without exposures never give REGRESSION or SAFE: INSUFFICIENT", () => {
    const settings = parseJudgeSettings({ critical: ["errors"] });
    for (const [dark, base] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [2, 0],
      [0, 2],
    ] as const) {
      const minutes = series(60, (t) => ({
        start: iso(t),
        dark: arm(t === 30 ? 1000 : 0, t === 30 ? dark : 0),
        base: arm(t === 30 ? 1000 : 0, t === 30 ? base : 0),
      }));
      const v = judge({ minutes: requests(60), business: [{ definition: CHECKOUT, minutes }] }, settings);
      expect(v.state, `${dark}/${base}`).toBe("INSUFFICIENT");
      expect(v.why).toMatch(/^checkout conversion: \d of the 30 conversions needed on each arm before it can be judged → hold$/);
    }
    // Exposures every minute but a handful of conversions in all: still nothing to act on.
    const few = series(60, (t) => ({ start: iso(t), dark: arm(500, t % 20 === 0 ? 1 : 0), base: arm(500, t % 15 === 0 ? 1 : 0) }));
    expect(judge({ minutes: requests(60), business: [{ definition: CHECKOUT, minutes: few }] }, settings).state).toBe("INSUFFICIENT");
  });

  it("a watched metric is a diagnostic: its drop is flagged by e-BH but neither rolls back nor blocks SAFE", () => {
    const random = seededRandom(9);
    const watched = { ...CHECKOUT, key: "newsletter", critical: false };
    const minutes = series(40, (t) => businessMinute(random, T0 + t, { n: 40_000, share: 0.5, baseRate: 0.05, darkRate: 0.04 }));
    const v = judge({ minutes: requests(40), business: [{ definition: watched, minutes }] });
    expect(v.state).not.toBe("REGRESSION");
    expect(v.decisionMetrics).toBe(3);
    expect(business(v, "newsletter")).toMatchObject({ decision: false, critical: false, harm: { crossed: true, threshold: 10 } });
    expect(v.diagnostics.business).toEqual([expect.objectContaining({ key: "newsletter", flagged: true })]);
  });

  it("direction down: a count that rises beyond its tolerance is harm", () => {
    const random = seededRandom(10);
    const tickets: BusinessMetricDefinition = {
      key: "tickets",
      event: "support-ticket",
      kind: "count",
      direction: "down",
      tolerance: 0.05,
      critical: true,
    };
    const minutes = series(40, (t) => businessMinute(random, T0 + t, { n: 20_000, share: 0.5, baseRate: 0.02, darkRate: 0.03 }));
    const v = judge({ minutes: requests(40), business: [{ definition: tickets, minutes }] });
    expect(v.state).toBe("REGRESSION");
    expect(business(v, "tickets").harm.nullRatio).toBe(1.05);
    expect(v.why).toMatch(/^tickets 0\.0\d+ per exposed subject on dark vs 0\.0\d+ on baseline, \+\d+ %; evidence/);
  });

  it("a value metric (revenue per exposed subject) that falls 10 % rolls back; its why names the amount per subject", () => {
    const random = seededRandom(11);
    const revenue: BusinessMetricDefinition = {
      key: "revenue",
      event: "purchase",
      kind: "value",
      direction: "up",
      tolerance: 0,
      critical: true,
    };
    const minutes = series(60, (t) =>
      businessMinute(random, T0 + t, { n: 20_000, share: 0.5, baseRate: 0.03, darkRate: 0.03, baseValue: 50, darkValue: 45 }),
    );
    const v = judge({ minutes: requests(60), business: [{ definition: revenue, minutes }] });
    expect(v.state).toBe("REGRESSION");
    expect(v.why).toMatch(
      /^revenue 1\.\d+ per exposed subject \(Σ purchase value\) on dark vs 1\.\d+ on baseline, −\d+(\.\d)? %; evidence/,
    );
    expect(business(v, "revenue").evidenceNeeded?.exposures).toBeGreaterThan(0);
  });

  it("exposed subjects off the flag's split is a sample-ratio mismatch: UNHEALTHY", () => {
    const minutes = series(30, (t) => ({ start: iso(t), dark: arm(6000, 60), base: arm(4000, 40) }));
    const v = judge({ minutes: requests(30), business: [{ definition: CHECKOUT, minutes }] });
    expect(v.health.exposureSrm).toMatchObject({ crossed: true, targetShare: 0.5 });
    expect(v.health.exposureSrm?.observedShare).toBeCloseTo(0.6, 5);
    expect(v.state).toBe("UNHEALTHY");
    expect(v.why).toMatch(/^dark got 60\.0 % of the exposed subjects against a target of 50\.0 %/);
  });

  it("warm-up minutes are not tested and the analysis series carries each business metric", () => {
    const random = seededRandom(12);
    const minutes = series(10, (t) => businessMinute(random, T0 + t, { n: 10_000, share: 0.5, baseRate: 0.03, darkRate: 0.03 }));
    const input = { minutes: requests(10), business: [{ definition: CHECKOUT, minutes }] };
    expect(business(judge(input)).minutesTested).toBe(8); // the first 2 are warm-up
    const points = analysisSeries(input);
    expect(points).toHaveLength(10);
    expect(points[9]?.metrics["business:checkout"]).toMatchObject({ estimate: expect.any(Number), eHarm: expect.any(Number) });
    expect(points[9]?.metrics["business:checkout"]?.band).not.toBeNull();
  });

  it("a metric's minute reported in parts (several reporters) adds up to the same verdict", () => {
    const random = seededRandom(13);
    const whole = series(30, (t) => businessMinute(random, T0 + t, { n: 20_000, share: 0.5, baseRate: 0.03, darkRate: 0.027 }));
    const half = (a: BusinessMetricArm, first: boolean): BusinessMetricArm => {
      const part = (x: number) => (first ? Math.floor(x / 2) : x - Math.floor(x / 2));
      return { exposed: part(a.exposed), converted: part(a.converted), events: part(a.events), sum: 0, sumSq: 0 };
    };
    const parts = whole.flatMap((m) =>
      [true, false].map((first) => ({ start: m.start, base: half(m.base, first), dark: half(m.dark, first) })),
    );
    const a = judge({ minutes: requests(30), business: [{ definition: CHECKOUT, minutes: whole }] });
    const b = judge({ minutes: requests(30), business: [{ definition: CHECKOUT, minutes: parts }] });
    expect(business(b).harm.e).toBeCloseTo(business(a).harm.e, 6);
    expect(b.why).toBe(a.why);
  });

  it("settings for business metrics have defaults and name bad fields", () => {
    expect(parseJudgeSettings({}).business).toEqual({ safeMargin: 0.1, minEvents: 30, detectEffect: 0.1 });
    expect(() => parseJudgeSettings({ business: { safeMargin: 2 } })).toThrow(/business\.safeMargin/);
  });
});

describe("the mean e-process", () => {
  it("waits for a variance estimate and is exactly 1 before any tested minute", () => {
    const p = new MeanRatioEProcess({ nullRatio: 1, side: "lower" });
    expect(p.logE).toBeCloseTo(0, 12);
    p.update({ darkSum: 10, darkExposure: 0, baseSum: 10, baseExposure: 10 }, { secondMoment: 1, baseMean: 1 });
    expect(p.minutes).toBe(0);
  });

  it("reckons the exposures needed, fewer for a larger effect", () => {
    const at = (excess: number) =>
      meanExposuresNeeded({ baseMean: 1.5, secondMoment: 96, darkShare: 0.5, nullRatio: 1, excess, threshold: 80 }) as number;
    expect(at(0.05)).toBeGreaterThan(at(0.1));
    expect(meanExposuresNeeded({ baseMean: null, secondMoment: 1, darkShare: 0.5, nullRatio: 1, excess: 0.1, threshold: 80 })).toBeNull();
  });
});
