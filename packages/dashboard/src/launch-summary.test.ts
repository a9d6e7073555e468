import type { ObservationSeries, RampRecord } from "@darklaunch/core";
import { describe, expect, it } from "vitest";
import {
  filterLaunches,
  isUnderLaunch,
  launchState,
  nextGate,
  stepText,
  summarizeLaunch,
  summaryPeriod,
  worstMetric,
} from "./launch-summary.js";

const MIN = 60_000;
const T0 = Date.parse("2026-12-01T12:00:00Z");

const side = (requests: number) => ({
  requests,
  errors: 0,
  errorRate: null,
  mean: null,
  p50: null,
  p95: null,
  p99: null,
  requestRate: requests / 60,
});
const point = (i: number, base: number, dark: number, total: number, mismatched: number) => ({
  start: new Date(T0 + i * MIN).toISOString(),
  baseline: side(base),
  dark: side(dark),
  comparison: { total, matched: total - mismatched, mismatched, divergenceRate: total === 0 ? null : mismatched / total },
  paired: null,
});

function series(points: ReturnType<typeof point>[], paired = 0): ObservationSeries {
  const sum = (f: (p: ReturnType<typeof point>) => number) => points.reduce((n, p) => n + f(p), 0);
  const total = sum((p) => p.comparison.total);
  const mismatched = sum((p) => p.comparison.mismatched);
  return {
    flag: "f",
    since: new Date(T0).toISOString(),
    until: new Date(T0 + points.length * MIN).toISOString(),
    step: "1m",
    stepSeconds: 60,
    series: points,
    totals: {
      baseline: side(sum((p) => p.baseline.requests)),
      dark: side(sum((p) => p.dark.requests)),
      comparison: { total, matched: total - mismatched, mismatched, divergenceRate: total === 0 ? null : mismatched / total },
      paired: paired === 0 ? null : { pairs: paired, bothErr: 0, darkOnlyErr: 0, baseOnlyErr: 0, slower: paired, faster: 0, tie: 0 },
    },
  };
}

function ramp(over: Partial<RampRecord["state"]> & { status?: RampRecord["status"] } = {}): RampRecord {
  const { status = "running", ...state } = over;
  return {
    id: "r1",
    flag: "f",
    status,
    plan: { steps: [5, 25, 100], shadowSteps: [], minStep: 10, maxStep: 60, warmup: 1, onInconclusive: "hold", rollbackTo: "zero" },
    state: {
      status,
      phase: "serve",
      step: 1,
      stepStartedAt: T0,
      extended: false,
      lastSafe: null,
      target: { phase: "serve", percentage: 25 },
      alerted: [],
      dismissed: [],
      lastVerdict: null,
      statusWhy: "",
      history: [],
      ...state,
    },
    darkBuild: null,
    judge: {},
    judgeEffective: { settings: {} as RampRecord["judgeEffective"]["settings"], sources: {} },
    minuteMs: MIN,
    createdBy: "admin",
    startedAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    lease: null,
  } as RampRecord;
}

describe("launch state", () => {
  it("names ramps, partial rollouts and the rest, and which are under a launch", () => {
    expect(launchState({ enabled: true, percentage: 25 }, ramp())).toBe("ramping");
    expect(launchState({ enabled: true, percentage: 5 }, ramp({ phase: "shadow" }))).toBe("shadow");
    expect(launchState({ enabled: true, percentage: 25 }, ramp({ status: "paused" }))).toBe("paused");
    expect(launchState({ enabled: true, percentage: 10 }, undefined)).toBe("rolling-out");
    expect(launchState({ enabled: false, percentage: 0 }, ramp({ status: "rolled_back" }))).toBe("rolled-back");
    expect(launchState({ enabled: true, percentage: 100 }, undefined)).toBe("not-launched");
    expect(launchState({ enabled: false, percentage: 10 }, undefined)).toBe("off");
    expect(["ramping", "rolling-out", "rolled-back"].every((s) => isUnderLaunch(s as never))).toBe(true);
    expect(isUnderLaunch("not-launched")).toBe(false);
  });

  it("gives the step, the next gate in the ramp's minutes, and the last verdict's crossed metrics", () => {
    expect(stepText(ramp())).toBe("serve step 2 of 3 · 25%");
    expect(stepText(ramp({ status: "completed" }))).toBeNull();
    expect(nextGate(ramp(), T0 + 3 * MIN)).toEqual({ at: T0 + 10 * MIN, due: false });
    expect(nextGate(ramp(), T0 + 11 * MIN)?.due).toBe(true);
    expect(nextGate(ramp({ status: "paused" }), T0)).toBeNull();
    expect(worstMetric(ramp())).toBeNull();
    expect(
      worstMetric(ramp({ lastVerdict: { state: "REGRESSION", criticalHarm: false, why: "errors up", crossed: ["errors", "p99"] } })),
    ).toEqual({
      state: "REGRESSION",
      text: "errors, p99",
    });
  });
});

describe("summarizeLaunch", () => {
  it("reads dark's share, divergence and a rising trend; fresh data is not stale", () => {
    const s = summarizeLaunch(series([point(0, 90, 10, 100, 1), point(1, 90, 10, 100, 1), point(2, 90, 10, 100, 10)]), T0 + 3 * MIN);
    expect(s.darkShare).toBeCloseTo(0.1);
    expect(s.mode).toBe("served");
    expect(s.divergence).toBeCloseTo(0.04);
    expect(s.trend).toBe("rising");
    expect(s.stale).toBe(false);
    expect(s.lastDataAt).toBe(T0 + 2 * MIN);
  });

  it("calls shadow pairs mirrored, a small change steady, and marks no data for five minutes stale", () => {
    const points = [
      point(0, 50, 50, 100, 10),
      point(1, 50, 50, 100, 10),
      point(2, 50, 50, 100, 11),
      ...[3, 4, 5, 6, 7, 8].map((i) => point(i, 0, 0, 0, 0)),
    ];
    const s = summarizeLaunch(series(points, 150), T0 + 9 * MIN);
    expect(s.mode).toBe("mirrored");
    expect(s.trend).toBe("steady"); // over the minutes with comparisons: 10 % then 11 %
    expect(s.stale).toBe(true);
    expect(
      summarizeLaunch(series([point(0, 50, 50, 100, 10), point(1, 50, 50, 100, 10), point(2, 50, 50, 100, 11)]), T0 + 3 * MIN).trend,
    ).toBe("steady");
    expect(summarizeLaunch(series([point(0, 0, 0, 0, 0)]), T0 + MIN)).toMatchObject({
      darkShare: null,
      mode: null,
      stale: true,
      trend: null,
    });
    expect(summarizeLaunch(series([point(0, 50, 50, 100, 10)]), T0 + MIN).trend).toBeNull();
  });

  it("reads a period that ends at the end of this minute, the same URL all minute long", () => {
    expect(summaryPeriod(T0 + 10_000)).toEqual({ since: "2026-12-01T11:31:00.000Z", until: "2026-12-01T12:01:00.000Z" });
    expect(summaryPeriod(T0 + 59_000)).toEqual(summaryPeriod(T0));
  });
});

describe("filterLaunches", () => {
  const flag = (key: string, tags: string[] = []) => ({ key, description: "", owner: "", tags });
  const rows = [
    { state: "ramping" as const, flag: flag("checkout-v2", ["payments"]) },
    { state: "rolling-out" as const, flag: flag("search-v3") },
  ];
  it("filters by state and by text in key or tag", () => {
    expect(filterLaunches(rows, { state: "any", text: "" })).toHaveLength(2);
    expect(filterLaunches(rows, { state: "ramping", text: "" }).map((r) => r.flag.key)).toEqual(["checkout-v2"]);
    expect(filterLaunches(rows, { state: "any", text: "PAYMENTS" }).map((r) => r.flag.key)).toEqual(["checkout-v2"]);
    expect(filterLaunches(rows, { state: "ramping", text: "search" })).toEqual([]);
  });
});
