import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { emptySketchData, LatencySketch } from "../latency-sketch.js";
import { emptyWindow, type ObservationWindow, type PairedCounts } from "../observation-window.js";
import { eBenjaminiHochberg } from "./e-bh.js";
import { analysisSeries, judge } from "./judge.js";
import { type JudgeMinute, judgeMinutes } from "./judge-input.js";
import { DEFAULT_JUDGE_SETTINGS, type JudgeSettingsInput, parseJudgeSettings } from "./judge-settings.js";
import { formatEvidence } from "./judge-why.js";
import { countAbove, requestCount, thresholdAt } from "./latency-threshold.js";
import { EFFECT_MULTIPLIERS, RatioEProcess } from "./ratio-e-process.js";
import { addSketchInto } from "./sketch-sum.js";
import { sampledSketch, seededRandom, shadowMinute, splitMinute } from "./test-simulation.js";

const T0 = 29_000_000;
const iso = (t: number) => new Date((T0 + t) * 60_000).toISOString();
const settings = (input: JudgeSettingsInput = {}) => parseJudgeSettings(input);

function minute(t: number, counts: { dn: number; de: number; bn: number; be: number; share?: number }): JudgeMinute {
  return {
    start: iso(t),
    targetShare: counts.share,
    baseline: { requests: counts.bn, errors: counts.be },
    dark: { requests: counts.dn, errors: counts.de },
  };
}

function problems(input: unknown): string[] {
  try {
    parseJudgeSettings(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe("judge settings", () => {
  it("work without configuration", () => {
    expect(parseJudgeSettings(undefined)).toEqual(DEFAULT_JUDGE_SETTINGS);
    expect(DEFAULT_JUDGE_SETTINGS).toMatchObject({ alpha: 0.05, warmupMinutes: 2, critical: ["errors", "latencyP99"] });
    expect(DEFAULT_JUDGE_SETTINGS.tolerances).toEqual({ errors: 1.1, latencyTail: 1.2, latencyPaired: 1, mismatches: 1.2, safe: 1.5 });
  });

  it("keep what is given and fill in the rest", () => {
    const s = parseJudgeSettings({ critical: ["errors"], tolerances: { errors: 1.2 }, health: { srmFloor: 0.1 } });
    expect(s.critical).toEqual(["errors"]);
    expect(s.tolerances).toMatchObject({ errors: 1.2, safe: 1.5 });
    expect(s.health).toMatchObject({ srmFloor: 0.1, srmAlpha: 0.001 });
  });

  it("name the bad field", () => {
    expect(problems({ tolerances: { errors: 0.5 } })).toEqual(["tolerances.errors: must be at least 1"]);
    expect(problems({ alpha: 2 })).toEqual(["alpha: must be below 1"]);
    expect(problems({ minStepMinutes: 30, maxStepMinutes: 10 })).toEqual(["maxStepMinutes: must be at least minStepMinutes"]);
    expect(problems({ critical: ["speed"] })[0]).toMatch(/^critical\[0\]: must be one of errors, latencyP95/);
    expect(problems({ warmupMinutes: 1.5 })).toEqual(["warmupMinutes: must be a whole number of minutes"]);
    expect(problems({ tolerances: { safe: 1.1 } })[0]).toMatch(/^tolerances\.safe: must exceed/);
    expect(problems({ colour: "red" })[0]).toMatch(/colour/);
  });
});

describe("the e-process", () => {
  it("has expectation exactly 1 per minute at the null, for every alternative and exposure", () => {
    // Σ_x P0(x) · LR(x) = 1: the factor of a minute with n events, summed over its binomial law.
    for (const [a, b, n] of [
      [1, 1, 7],
      [50, 950, 12],
      [3000, 7, 4],
    ] as const) {
      const pi = (r: number) => (r * a) / (r * a + b);
      for (const m of EFFECT_MULTIPLIERS) {
        let total = 0;
        for (let x = 0; x <= n; x++) {
          const e = new RatioEProcess({ nullRatio: 1.1, direction: "harm", multipliers: [m] });
          e.update({ darkEvents: x, darkExposure: a, baseEvents: n - x, baseExposure: b });
          total += binomialPmf(n, x, pi(1.1)) * Math.exp(e.logE);
        }
        expect(total).toBeCloseTo(1, 10);
      }
    }
  });

  it("ignores minutes without events or without exposure on a side", () => {
    const e = new RatioEProcess({ nullRatio: 1.1, direction: "harm" });
    e.update({ darkEvents: 0, darkExposure: 100, baseEvents: 0, baseExposure: 100 });
    e.update({ darkEvents: 3, darkExposure: 100, baseEvents: 0, baseExposure: 0 });
    expect(e.logE).toBe(0);
  });
});

function binomialPmf(n: number, x: number, p: number): number {
  let c = 1;
  for (let i = 0; i < x; i++) c = (c * (n - i)) / (i + 1);
  return c * p ** x * (1 - p) ** (n - x);
}

describe("latency thresholds", () => {
  it("count requests above τ exactly from the bins", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.05, max: 5000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(0.5, 0.95, 0.99),
        (latencies, q) => {
          const sketch = new LatencySketch();
          for (const ms of latencies) sketch.record(ms);
          const t = thresholdAt(sketch.toJSON(), q);
          expect(t).toBeDefined();
          const tau = t?.ms as number;
          // τ is a bucket boundary: values within float error of it are the only ambiguous ones.
          const above = latencies.filter((ms) => ms > tau * (1 + 1e-9)).length;
          const atBoundary = latencies.filter((ms) => Math.abs(ms - tau) <= tau * 1e-9).length;
          const counted = countAbove(sketch.toJSON(), t as NonNullable<typeof t>);
          expect(counted).toBeGreaterThanOrEqual(above);
          expect(counted).toBeLessThanOrEqual(above + atBoundary);
        },
      ),
    );
  });

  it("take the boundary nearest the quantile", () => {
    const sketch = new LatencySketch();
    for (let i = 1; i <= 1000; i++) sketch.record(i);
    const t = thresholdAt(sketch.toJSON(), 0.99);
    // The sketch's p99 is within 1 % of 990, the nearest boundary within 1 % of that.
    expect(t?.ms).toBeGreaterThan(990 * 0.98);
    expect(t?.ms).toBeLessThan(990 * 1.02);
  });
});

describe("sparse data never decides on its own", () => {
  const sparse = [
    [0, 0],
    [0, 1],
    [1, 0],
    [2, 0],
  ] as const;

  it.each(sparse)("split: %i dark vs %i base errors in one minute is INSUFFICIENT", (de, be) => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 1_000_000 }), fc.integer({ min: 2, max: 1_000_000 }), (dn, bn) => {
        const s = settings({ warmupMinutes: 0, minStepMinutes: 0 });
        const verdict = judge({ minutes: [minute(0, { dn, de, bn, be, share: dn / (dn + bn) })] }, s);
        expect(verdict.state).toBe("INSUFFICIENT");
      }),
    );
  });

  it.each(sparse)("shadow: %i dark-only vs %i base-only errors in one minute is INSUFFICIENT", (de, be) => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 1_000_000 }), (n) => {
        const s = settings({ warmupMinutes: 0, minStepMinutes: 0 });
        const paired = { bothErr: 0, darkOnlyErr: de, baseOnlyErr: be, slower: 0, faster: 0, tie: n };
        const m: JudgeMinute = { start: iso(0), baseline: { requests: n, errors: be }, dark: { requests: n, errors: de }, paired };
        expect(judge({ minutes: [m] }, s).state).toBe("INSUFFICIENT");
      }),
    );
  });

  it("an hour of minutes reported with no traffic is INSUFFICIENT, not a gap", () => {
    const minutes = Array.from({ length: 60 }, (_, t) => minute(t, { dn: 0, de: 0, bn: 0, be: 0, share: 0.5 }));
    const verdict = judge({ minutes });
    expect(verdict.state).toBe("INSUFFICIENT");
    expect(verdict.why).toBe("no dark traffic observed in 60 reported minutes → hold");
    expect(verdict.health.coverage.share).toBe(1);
  });

  it("no observations at all is INSUFFICIENT", () => {
    expect(judge({ minutes: [] }).state).toBe("INSUFFICIENT");
  });
});

/** A healthy split build: equal error rates and latencies, 50/50. */
function healthySplit(minutes: number, seed: number, n = 5000): JudgeMinute[] {
  const random = seededRandom(seed);
  return Array.from({ length: minutes }, (_, t) => {
    const m = splitMinute(random, T0 + t, { n, share: 0.5, baseRate: 0.01, darkRate: 0.01 });
    m.baseline.latency = sampledSketch(random, { n: m.baseline.requests, medianMs: 50, sigma: 0.5 });
    m.dark.latency = sampledSketch(random, { n: m.dark.requests, medianMs: 50, sigma: 0.5 });
    return m;
  });
}

describe("verdicts", () => {
  it("REGRESSION with a why that has the numbers (shadow, errors 1 % → 3 %)", () => {
    const random = seededRandom(11);
    const minutes = Array.from({ length: 20 }, (_, t) => shadowMinute(random, T0 + t, { n: 500, baseRate: 0.01, darkRate: 0.03 }));
    const verdict = judge({ minutes });
    expect(verdict).toMatchObject({ state: "REGRESSION", action: "rollback", mode: "shadow", decisionMetrics: 4 });
    const errors = verdict.metrics.find((m) => m.metric === "errors");
    expect(errors?.harm.crossed).toBe(true);
    expect(errors?.harm.threshold).toBe(80);
    expect(verdict.why).toMatch(/^dark errors \d\.\d %? vs \d\.\d+ % on [\d ]+ paired requests; evidence [\d.e ]+ ≥ 80 → rollback$/);
  });

  it("a REGRESSION's why cites the peak evidence that crossed, and the evidence now when it has fallen since", () => {
    const random = seededRandom(13);
    // Dark fails for 10 minutes (crossing), then does better than stable for 40: the e-value falls,
    // the crossing stands (anytime-valid), and the sentence must not read "evidence 12 ≥ 80".
    const minutes = Array.from({ length: 50 }, (_, t) =>
      shadowMinute(random, T0 + t, t < 10 ? { n: 500, baseRate: 0.01, darkRate: 0.04 } : { n: 500, baseRate: 0.02, darkRate: 0.005 }),
    );
    const verdict = judge({ minutes });
    expect(verdict).toMatchObject({ state: "REGRESSION", action: "rollback" });
    const errors = verdict.metrics.find((m) => m.metric === "errors");
    expect(errors?.harm.maxE).toBeGreaterThanOrEqual(80);
    expect(errors?.harm.e).toBeLessThan(80);
    const [, peak, now] = /evidence ([\d.e ]+) ≥ 80 \(now ([\d.]+)\) → rollback$/.exec(verdict.why) ?? [];
    expect(peak).toBe(formatEvidence(errors?.harm.maxE ?? 0));
    expect(now).toBe(formatEvidence(errors?.harm.e ?? 0));
  });

  it("REGRESSION on a metric that is not critical holds instead of rolling back", () => {
    const random = seededRandom(12);
    const minutes = Array.from({ length: 20 }, (_, t) => {
      const m = shadowMinute(random, T0 + t, { n: 500, baseRate: 0.01, darkRate: 0.01 });
      const p = m.paired as NonNullable<JudgeMinute["paired"]>;
      // Dark slower on 40 % of pairs, faster on 20 %.
      p.slower = 200;
      p.faster = 100;
      p.tie = 200;
      return m;
    });
    const verdict = judge({ minutes });
    expect(verdict).toMatchObject({ state: "REGRESSION", action: "hold" });
    expect(verdict.why).toMatch(/^dark slower on 3 600 vs faster on 1 800 pairs; evidence .* → hold \(paired latency is not critical\)$/);
  });

  it("SAFE once every critical metric is proven below its margin and the minimum time passed", () => {
    const minutes = healthySplit(12, 13);
    const early = judge({ minutes: minutes.slice(0, 8) });
    expect(early.state).toBe("RUNNING");
    const verdict = judge({ minutes });
    expect(verdict).toMatchObject({ state: "SAFE", action: "advance", mode: "split" });
    expect(verdict.why).toMatch(
      /^errors ratio \d\.\d\d \(evidence [\d ]+ ≥ 20 for < 1\.5\), p99 latency ratio .* after 12 minutes → advance$/,
    );
    expect(verdict.step).toMatchObject({ minutes: 12, warmupMinutes: 2, testedMinutes: 10 });
  });

  it("safety shown earlier stops counting once dark turns worse: no advance on stale evidence before harm is proven", () => {
    const s = settings({ critical: ["errors"], minStepMinutes: 5, maxStepMinutes: 600 });
    // Equal 1 % error rates for 14 minutes, then dark doubles its errors.
    const minutes = Array.from({ length: 20 }, (_, t) => minute(t, { dn: 5000, de: t >= 14 ? 100 : 50, bn: 5000, be: 50, share: 0.5 }));
    const errorsOf = (n: number) => judge({ minutes: minutes.slice(0, n) }, s);
    expect(errorsOf(14).state).toBe("SAFE");
    const turned = errorsOf(19);
    const errors = turned.metrics.find((m) => m.metric === "errors");
    // The safe e-value once passed its threshold by far, but it is below it now and harm is not yet proven.
    expect(errors?.safe?.maxE).toBeGreaterThan(1e9);
    expect(errors?.safe?.e).toBeLessThan(errors?.safe?.threshold ?? 0);
    expect(errors?.safe?.crossed).toBe(false);
    expect(errors?.harm.crossed).toBe(false);
    expect(turned.state).toBe("RUNNING");
    expect(errorsOf(20).state).toBe("REGRESSION");
  });

  it("INCONCLUSIVE when the step's maximum time passed and nothing crossed", () => {
    const minutes = healthySplit(4, 14, 400);
    const s = settings({ critical: ["latencyP99"], minStepMinutes: 1, maxStepMinutes: 4, warmupMinutes: 1 });
    const verdict = judge({ minutes }, s);
    expect(verdict.state).toBe("INCONCLUSIVE");
    expect(verdict.why).toMatch(/^after 4 minutes \(maximum 4\) neither harm nor safety proven: .* → policy$/);
    expect(judge({ minutes: minutes.slice(0, 3) }, s).state).toBe("RUNNING");
  });

  it("INSUFFICIENT while dark has fewer requests than a 2× error regression needs", () => {
    const minutes = healthySplit(3, 15, 400);
    const verdict = judge({ minutes });
    expect(verdict.state).toBe("INSUFFICIENT");
    expect(verdict.evidenceNeeded.remaining).toBeGreaterThan(0);
    expect(verdict.why).toMatch(
      /^[\d ]+ of the [\d ]+ dark requests needed to see a 2× error regression at the base rate [\d.]+ % → hold$/,
    );
  });

  it("UNHEALTHY on a sample-ratio mismatch", () => {
    const random = seededRandom(16);
    // The flag means 50 % but dark gets 45 %.
    const minutes = Array.from({ length: 10 }, (_, t) => ({
      ...splitMinute(random, T0 + t, { n: 4000, share: 0.45, baseRate: 0.01, darkRate: 0.01 }),
      targetShare: 0.5,
    }));
    const verdict = judge({ minutes });
    expect(verdict.state).toBe("UNHEALTHY");
    expect(verdict.health.srm?.crossed).toBe(true);
    expect(verdict.why).toMatch(/^dark got 4\d\.\d+ % of requests against a target of 50\.0 % \(sample-ratio mismatch/);
  });

  it("no sample-ratio mismatch within the 5 % floor", () => {
    const random = seededRandom(17);
    const minutes = Array.from({ length: 60 }, (_, t) => ({
      ...splitMinute(random, T0 + t, { n: 4000, share: 0.49, baseRate: 0.01, darkRate: 0.01 }),
      targetShare: 0.5,
    }));
    expect(judge({ minutes }).health.srm?.crossed).toBe(false);
  });

  it("UNHEALTHY when mirrors are lost", () => {
    const random = seededRandom(18);
    const minutes = Array.from({ length: 10 }, (_, t) => {
      const m = shadowMinute(random, T0 + t, { n: 500, baseRate: 0.01, darkRate: 0.01 });
      m.baseline.requests = 1000; // half the requests came back without a dark answer
      return m;
    });
    const verdict = judge({ minutes });
    expect(verdict.state).toBe("UNHEALTHY");
    expect(verdict.why).toMatch(/^50\.0 % of 8 000 mirrors meant ended without a paired outcome/);
  });

  it("UNHEALTHY when a reporter counts its mirrors lost: lost / (pairs + lost)", () => {
    const random = seededRandom(18);
    const minutes = Array.from({ length: 10 }, (_, t) => {
      const m = shadowMinute(random, T0 + t, { n: 600, baseRate: 0.01, darkRate: 0.01 });
      (m.paired as PairedCounts).lost = 200;
      return m;
    });
    const verdict = judge({ minutes });
    expect(verdict.state).toBe("UNHEALTHY");
    expect(verdict.health.mirrorLoss).toMatchObject({ loss: 0.25, expected: 6400, paired: 4800, exceeded: true });
    expect(verdict.why).toMatch(
      /^25\.0 % of 6 400 mirrors meant ended without a paired outcome \(dropped at the in-flight bound, a breaker or the body limit, or unanswered; limit 10\.0 %\) → hold$/,
    );
  });

  it("weighs what a reporter meant to mirror, not the step's share, when it counts its losses", () => {
    // The step mirrors 50 %; the reporter still mirrors the previous step's 20 % (its stream is
    // reconnecting after a server restart) and loses none of them: fewer pairs, none lost.
    const random = seededRandom(19);
    const stale = (lost: number | undefined) =>
      Array.from({ length: 10 }, (_, t) => {
        const m = shadowMinute(random, T0 + t, { n: 200, baseRate: 0.01, darkRate: 0.01 });
        m.targetShare = 0.5;
        m.baseline.requests = 1000;
        if (lost !== undefined) (m.paired as PairedCounts).lost = lost;
        return m;
      });
    const counted = judge({ minutes: stale(0) });
    expect(counted.health.mirrorLoss).toMatchObject({ loss: 0, exceeded: false });
    expect(counted.state).not.toBe("UNHEALTHY");
    // A reporter that does not count losses: the share's expectation, as before (60 % short).
    expect(judge({ minutes: stale(undefined) }).health.mirrorLoss).toMatchObject({ loss: 0.6, exceeded: true });
  });

  it("UNHEALTHY on a data gap, INSUFFICIENT on low coverage", () => {
    const minutes = healthySplit(20, 19);
    const gap = judge({ minutes: minutes.slice(0, 12), now: iso(16) });
    expect(gap.state).toBe("UNHEALTHY");
    expect(gap.why).toBe("no observations for the last 5 minutes (limit 5) → hold");
    const holes = minutes.filter((_, t) => t % 5 !== 3);
    const low = judge({ minutes: holes });
    expect(low.health.coverage).toMatchObject({ reported: 16, elapsed: 20, low: true });
    expect(low.state).toBe("INSUFFICIENT");
    expect(low.why).toBe("only 16 of 20 minutes reported (80.0 % < 90.0 %) → hold");
  });

  it("warm-up minutes after a step change are shown, not tested, and e-values carry across steps", () => {
    const random = seededRandom(20);
    const minutes = Array.from({ length: 10 }, (_, t) =>
      splitMinute(random, T0 + t, { n: 2000, share: t < 5 ? 0.05 : 0.25, baseRate: 0.01, darkRate: 0.03 }),
    );
    const series = analysisSeries({ minutes });
    expect(series.map((m) => m.warmup)).toEqual([true, true, false, false, false, true, true, false, false, false]);
    const eHarm = series.map((m) => m.metrics.errors?.eHarm as number);
    // Unchanged through warm-up, and not reset by the step change.
    expect(eHarm[0]).toBe(1);
    expect(eHarm[6]).toBe(eHarm[4]);
    expect(eHarm[4]).not.toBe(1);
    const verdict = judge({ minutes });
    expect(verdict.step).toMatchObject({ start: iso(5), minutes: 5, testedMinutes: 3 });
  });
});

describe("the analysis series", () => {
  it("has a point per minute of the timeline, with an anytime-valid band around the estimate", () => {
    const minutes = healthySplit(15, 21).filter((_, t) => t !== 7);
    const series = analysisSeries({ minutes });
    expect(series).toHaveLength(15);
    expect(series[7]).toMatchObject({ reported: false, tested: false });
    const last = series[14]?.metrics.errors as NonNullable<(typeof series)[number]["metrics"]["errors"]>;
    expect(last.band).not.toBeNull();
    const [low, high] = last.band as [number, number];
    expect(low).toBeLessThan(last.estimate as number);
    expect(high).toBeGreaterThan(last.estimate as number);
    expect(low).toBeLessThan(1);
    expect(high).toBeGreaterThan(1);
  });

  it("bands hold the true ratio at every minute in ≥ 95 % of 100 runs", () => {
    const random = seededRandom(22);
    let misses = 0;
    for (let run = 0; run < 100; run++) {
      const minutes = Array.from({ length: 30 }, (_, t) =>
        splitMinute(random, T0 + t, { n: 2000, share: t < 10 ? 0.1 : 0.5, baseRate: 0.01, darkRate: 0.01 }),
      );
      const series = analysisSeries({ minutes }, settings({ warmupMinutes: 0 }));
      // The true ratio, 1, is on the band's grid.
      if (series.some((m) => m.metrics.errors?.band !== null && !contains(m.metrics.errors?.band, 1))) misses++;
    }
    expect(misses / 100).toBeLessThanOrEqual(0.05);
  });
});

function contains(band: [number, number] | null | undefined, value: number): boolean {
  return band !== null && band !== undefined && band[0] <= value && value <= band[1];
}

describe("diagnostics", () => {
  it("flag the route that regressed among healthy ones (e-BH)", () => {
    const random = seededRandom(23);
    const minutes = Array.from({ length: 20 }, (_, t) => {
      const routes: Record<string, NonNullable<JudgeMinute["routes"]>[string]> = {};
      const total = minute(t, { dn: 0, de: 0, bn: 0, be: 0, share: 0.5 });
      for (const [route, darkRate] of [
        ["GET /a", 0.01],
        ["GET /b", 0.01],
        ["GET /c", 0.05],
      ] as const) {
        const m = splitMinute(random, T0 + t, { n: 1000, share: 0.5, baseRate: 0.01, darkRate });
        routes[route] = { baseline: m.baseline, dark: m.dark };
        total.baseline.requests += m.baseline.requests;
        total.baseline.errors += m.baseline.errors;
        total.dark.requests += m.dark.requests;
        total.dark.errors += m.dark.errors;
      }
      total.routes = routes;
      return total;
    });
    const rows = judge({ minutes }).diagnostics.routes;
    expect(Object.fromEntries(rows.map((r) => [r.key, r.flagged]))).toEqual({ "GET /a": false, "GET /b": false, "GET /c": true });
    expect(rows[0]?.key).toBe("GET /c");
  });

  it("flag a field past its noise and Diffy's floors; a noisy field is not actionable", () => {
    const minutes = Array.from({ length: 10 }, (_, t) => ({
      ...minute(t, { dn: 1000, de: 0, bn: 1000, be: 0, share: 0.5 }),
      comparison: {
        total: 1000,
        matched: 950,
        mismatched: 50,
        noiseTotal: 1000,
        fields: { "body.price": 40, "body.timestamp": 300 },
        noise: { "body.price": 0, "body.timestamp": 290 },
      },
    }));
    const verdict = judge({ minutes }, settings({ criticalFields: ["body.price"] }));
    const rows = Object.fromEntries(verdict.diagnostics.fields.map((r) => [r.key, r]));
    expect(rows["body.price"]).toMatchObject({ flagged: true, actionable: true });
    expect(rows["body.timestamp"]).toMatchObject({ flagged: false, actionable: false });
    // A critical field is a decision metric: its regression is one.
    expect(verdict.decisionMetrics).toBe(4);
    expect(verdict.state).toBe("REGRESSION");
    expect(verdict.why).toMatch(/^mismatches of body\.price 4\.0 % vs noise 0\.0 % of 8 000 comparisons; evidence .* → rollback$/);
  });

  it("e-BH rejects the largest e-values that pass m / (q·k)", () => {
    expect(eBenjaminiHochberg([100, 1, 15, 2], 0.1)).toEqual([true, false, false, false]);
    expect(eBenjaminiHochberg([100, 1, 25, 2], 0.1)).toEqual([true, false, true, false]);
    expect(eBenjaminiHochberg([], 0.1)).toEqual([]);
  });
});

describe("judgeMinutes", () => {
  it("adds up windows of a minute across sources and routes, keeping routes and paired counters", () => {
    const key = { flag: "f", source: "proxy", route: "GET /a", start: iso(0) } as const;
    const a: ObservationWindow = emptyWindow(key);
    a.baseline.requests = 10;
    a.baseline.errors = 1;
    a.paired = { bothErr: 0, darkOnlyErr: 2, baseOnlyErr: 1, slower: 3, faster: 2, tie: 5 };
    const b: ObservationWindow = emptyWindow({ ...key, source: "sdk", route: "GET /b" });
    b.dark.requests = 7;
    b.dark.errors = 2;
    const c: ObservationWindow = emptyWindow({ ...key, start: iso(1) });
    const minutes = judgeMinutes([c, b, a], (start) => (start === iso(0) ? 0.5 : 0.25));
    expect(minutes.map((m) => m.start)).toEqual([iso(0), iso(1)]);
    expect(minutes[0]).toMatchObject({
      targetShare: 0.5,
      baseline: { requests: 10, errors: 1 },
      dark: { requests: 7, errors: 2 },
      paired: a.paired,
    });
    expect(Object.keys(minutes[0]?.routes ?? {})).toEqual(["GET /b", "GET /a"]);
    // A minute reported with no traffic is still a minute.
    expect(minutes[1]).toMatchObject({ baseline: { requests: 0 }, dark: { requests: 0 }, targetShare: 0.25 });
  });
});

describe("sketch sums", () => {
  it("equal merging the sketches", () => {
    const latencies = fc.array(fc.double({ min: 0, max: 1e5, noNaN: true }), { maxLength: 60 });
    fc.assert(
      fc.property(fc.array(latencies, { maxLength: 5 }), (groups) => {
        const merged = new LatencySketch();
        const into = emptySketchData();
        for (const group of groups) {
          const sketch = new LatencySketch();
          for (const ms of group) sketch.record(ms);
          merged.merge(sketch);
          addSketchInto(into, sketch.toJSON());
        }
        const expected = merged.toJSON();
        expect({ ...into, sum: 0 }).toEqual({ ...expected, sum: 0 });
        expect(into.sum).toBeCloseTo(expected.sum, 6);
      }),
    );
  });

  it("count above a threshold from a list of sketches as from their merge", () => {
    const latencies = fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { maxLength: 60 });
    fc.assert(
      fc.property(fc.array(latencies, { maxLength: 5 }), fc.integer({ min: -50, max: 500 }), (groups, key) => {
        const merged = new LatencySketch();
        const parts = groups.map((group) => {
          const sketch = new LatencySketch();
          for (const ms of group) sketch.record(ms);
          merged.merge(sketch);
          return sketch.toJSON();
        });
        const threshold = { key, ms: 0, quantile: 0.99 };
        expect(countAbove(parts, threshold)).toBe(countAbove(merged.toJSON(), threshold));
        expect(requestCount(parts)).toBe(merged.toJSON().count);
      }),
    );
  });
});
