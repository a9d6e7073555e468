import { describe, expect, it } from "vitest";
import { addArmInto, type BusinessMetricDefinition, type BusinessMetricMinute, emptyArm } from "./business-metric.js";
import { judge } from "./judge.js";
import type { JudgeMinute } from "./judge-input.js";
import type { JudgeVerdict, MetricVerdict } from "./judge-types.js";
import { businessMinute, pooledMeanZ, pooledZ, seededRandom } from "./test-simulation.js";

/*
 * Seeded simulations of the business tests. Each run is one dark build at 50 % watched for 60
 * minutes with a business metric beside steady request traffic (no error or latency signal). A run
 * "alarms" when a look says REGRESSION; crossings are sticky (anytime-valid), so judging once at the
 * end is the same as looking every minute, which the first 10 runs of the null scenarios check. Each null run also
 * records whether the metric's harm e-value ever reached 1/α = 20, the bar of a single test at
 * α = 0.05 (the verdict's is K/α, K = 4 decision metrics here). The standard error of a rate near
 * 5 % over 500 runs is 1.0 point.
 */

const MINUTES = 60;
const T0 = 29_000_000;
const Z_05 = 1.6449;
const ALPHA = 0.05;

/** Request minutes without any signal: the business metric alone can move the verdict. */
const REQUESTS: JudgeMinute[] = Array.from({ length: MINUTES }, (_, t) => ({
  start: new Date((T0 + t) * 60_000).toISOString(),
  targetShare: 0.5,
  baseline: { requests: 1000, errors: 10 },
  dark: { requests: 1000, errors: 10 },
}));

const CONVERSION: BusinessMetricDefinition = {
  key: "checkout",
  event: "purchase",
  kind: "conversion",
  direction: "up",
  tolerance: 0,
  critical: true,
};
const REVENUE: BusinessMetricDefinition = {
  key: "revenue",
  event: "purchase",
  kind: "value",
  direction: "up",
  tolerance: 0,
  critical: true,
};

interface Scenario {
  n: number;
  baseRate: number;
  darkRate: number;
  baseValue?: number;
  darkValue?: number;
  valueSigma?: number;
}

function judged(definition: BusinessMetricDefinition, minutes: BusinessMetricMinute[]): JudgeVerdict {
  return judge({ minutes: REQUESTS.slice(0, minutes.length), business: [{ definition, minutes }] });
}

function metricOf(v: JudgeVerdict, key: string): MetricVerdict {
  return v.metrics.find((m) => m.metric === `business:${key}`) as MetricVerdict;
}

/** Runs `runs` hours of a scenario: REGRESSION alarms, single-test (1/α) crossings and the naive every-minute z-test's alarms (one-sided, dark worse). */
function simulate(definition: BusinessMetricDefinition, scenario: Scenario, runs: number, seed: number, everyMinuteRuns = 0) {
  const random = seededRandom(seed);
  let alarms = 0;
  let singleCrossings = 0;
  let zAlarms = 0;
  let firstMinutes: number[] = [];
  for (let run = 0; run < runs; run++) {
    const minutes: BusinessMetricMinute[] = [];
    const dark = emptyArm();
    const base = emptyArm();
    let zAlarm = false;
    for (let t = 0; t < MINUTES; t++) {
      const m = businessMinute(random, T0 + t, { share: 0.5, ...scenario });
      minutes.push(m);
      addArmInto(dark, m.dark);
      addArmInto(base, m.base);
      // The usual peeking mistake: a fixed-sample test on the pooled counts, re-run every minute.
      const z = definition.kind === "value" ? pooledMeanZ(dark, base) : pooledZ(dark.converted, dark.exposed, base.converted, base.exposed);
      if (z < -Z_05) zAlarm = true;
    }
    const verdict = judged(definition, minutes);
    if (run < everyMinuteRuns) {
      let any = false;
      for (let t = 1; t <= MINUTES && !any; t++) any = judged(definition, minutes.slice(0, t)).state === "REGRESSION";
      expect(verdict.state === "REGRESSION").toBe(any);
    }
    if (verdict.state === "REGRESSION") {
      alarms++;
      // The minute of detection, on the first 40 detections (bisection: a few judge calls each).
      if (firstMinutes.length < 40) firstMinutes = [...firstMinutes, firstRegressionMinute(definition, minutes)];
    }
    if (metricOf(verdict, definition.key).harm.maxE >= 1 / ALPHA) singleCrossings++;
    if (zAlarm) zAlarms++;
  }
  firstMinutes.sort((a, b) => a - b);
  const median = firstMinutes.length > 0 ? firstMinutes[Math.floor(firstMinutes.length / 2)] : null;
  return { alarms, singleCrossings, zAlarms, median };
}

function firstRegressionMinute(definition: BusinessMetricDefinition, minutes: BusinessMetricMinute[]): number {
  let low = 1;
  let high = minutes.length;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (judged(definition, minutes.slice(0, mid)).state === "REGRESSION") high = mid;
    else low = mid + 1;
  }
  return low;
}

describe("conversion (1 %), a look every minute for 60 minutes, 20 000 exposed subjects per minute at 50/50", () => {
  it("equal conversion, 500 runs: false alarms ≤ 5 % (also at the single-test bar 1/α); a pooled z-test every minute alarms > 20 %", () => {
    const runs = 500;
    const r = simulate(CONVERSION, { n: 20_000, baseRate: 0.01, darkRate: 0.01 }, runs, 21, 10);
    console.log(
      `conversion 1 % = 1 %, tolerance 0: REGRESSION ${r.alarms}/${runs}, harm e ≥ 1/α ${r.singleCrossings}/${runs}, pooled z-test every minute ${r.zAlarms}/${runs}`,
    );
    expect(r.alarms / runs).toBeLessThanOrEqual(0.05);
    expect(r.singleCrossings / runs).toBeLessThanOrEqual(0.05);
    expect(r.zAlarms / runs).toBeGreaterThan(0.2);
  });

  it("1 % → 0.9 % on dark (−10 %), tolerance 0, 500 runs: REGRESSION (rollback) in ≥ 95 %", () => {
    const runs = 500;
    const r = simulate(CONVERSION, { n: 20_000, baseRate: 0.01, darkRate: 0.009 }, runs, 22);
    console.log(`conversion 1 % → 0.9 %, tolerance 0, 20 000/min: detected ${r.alarms}/${runs}, median minute ${r.median}`);
    expect(r.alarms / runs).toBeGreaterThanOrEqual(0.95);
  });

  it("1 % → 0.9 % with a 2 % tolerance needs 30 000 subjects per minute for ≥ 95 % (200 runs); 15 000 gives ≥ 80 % at tolerance 0", () => {
    const runs = 200;
    const tolerant = simulate({ ...CONVERSION, tolerance: 0.02 }, { n: 30_000, baseRate: 0.01, darkRate: 0.009 }, runs, 23);
    const smaller = simulate(CONVERSION, { n: 15_000, baseRate: 0.01, darkRate: 0.009 }, runs, 24);
    console.log(
      `conversion 1 % → 0.9 %: tolerance 2 % at 30 000/min detected ${tolerant.alarms}/${runs} (median minute ${tolerant.median}); tolerance 0 at 15 000/min ${smaller.alarms}/${runs} (median minute ${smaller.median})`,
    );
    expect(tolerant.alarms / runs).toBeGreaterThanOrEqual(0.95);
    expect(smaller.alarms / runs).toBeGreaterThanOrEqual(0.8);
  });
});

describe("value per exposed subject (revenue: 3 % buy, log-normal order values, mean 50, σ 0.5)", () => {
  it("no difference, 500 runs at 10 000 subjects per minute: false alarms ≤ 5 % (also at 1/α); a Welch z-test every minute alarms far more", () => {
    const runs = 500;
    const r = simulate(REVENUE, { n: 10_000, baseRate: 0.03, darkRate: 0.03, baseValue: 50, darkValue: 50 }, runs, 31, 10);
    console.log(
      `revenue, no difference: REGRESSION ${r.alarms}/${runs}, harm e ≥ 1/α ${r.singleCrossings}/${runs}, z-test every minute ${r.zAlarms}/${runs}`,
    );
    expect(r.alarms / runs).toBeLessThanOrEqual(0.05);
    expect(r.singleCrossings / runs).toBeLessThanOrEqual(0.05);
    expect(r.zAlarms / runs).toBeGreaterThan(0.15);
  });

  it("heavy-tailed values (σ 1.2) and sparse buyers (1 %, 5 000 per minute), 300 runs: false alarms at 1/α ≤ 5 %", () => {
    const runs = 300;
    const r = simulate(REVENUE, { n: 5_000, baseRate: 0.01, darkRate: 0.01, baseValue: 50, darkValue: 50, valueSigma: 1.2 }, runs, 32);
    console.log(
      `revenue, heavy tails and sparse, no difference: REGRESSION ${r.alarms}/${runs}, harm e ≥ 1/α ${r.singleCrossings}/${runs}`,
    );
    expect(r.singleCrossings / runs).toBeLessThanOrEqual(0.05);
  });

  it("order value −5 % on dark (revenue per subject −5 %), 30 000 subjects per minute, 200 runs: REGRESSION in ≥ 90 %", () => {
    const runs = 200;
    const r = simulate(REVENUE, { n: 30_000, baseRate: 0.03, darkRate: 0.03, baseValue: 50, darkValue: 47.5 }, runs, 33);
    console.log(`revenue −5 %, 30 000/min: detected ${r.alarms}/${runs}, median minute ${r.median}`);
    expect(r.alarms / runs).toBeGreaterThanOrEqual(0.9);
  });
});
