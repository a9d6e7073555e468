import { describe, expect, it } from "vitest";
import { changeMarkers, goldenSignals } from "./chart-data.js";

const side = (requests: number, errors: number, p: number | null) => ({
  requests,
  errors,
  errorRate: requests === 0 ? null : errors / requests,
  mean: p,
  p50: p,
  p95: p === null ? null : p * 2,
  p99: p === null ? null : p * 3,
  requestRate: requests / 60,
});
const comparison = { total: 0, matched: 0, mismatched: 0, divergenceRate: null };

describe("goldenSignals", () => {
  it("puts both sides on one time axis in unix seconds, error rates in percent", () => {
    const signals = goldenSignals({
      series: [
        { start: "2026-12-01T12:00:00Z", baseline: side(120, 6, 10), dark: side(60, 0, 12), comparison, paired: null },
        { start: "2026-12-01T12:01:00Z", baseline: side(60, 3, 11), dark: side(30, 3, 20), comparison, paired: null },
      ],
    });
    const t0 = Date.parse("2026-12-01T12:00:00Z") / 1000;
    expect(signals.rate).toEqual([
      [t0, t0 + 60],
      [2, 1],
      [1, 0.5],
    ]);
    expect(signals.errors).toEqual([
      [t0, t0 + 60],
      [5, 5],
      [0, 10],
    ]);
    expect(signals.latency).toEqual([
      [t0, t0 + 60],
      [10, 11],
      [20, 22],
      [30, 33],
      [12, 20],
      [24, 40],
      [36, 60],
    ]);
    expect(signals.empty).toBe(false);
  });

  it("leaves a gap, not a zero, where a side had no requests; its request rate is a real zero", () => {
    const signals = goldenSignals({
      series: [{ start: "2026-12-01T12:00:00Z", baseline: side(60, 1, 5), dark: side(0, 0, null), comparison, paired: null }],
    });
    expect(signals.rate[2]).toEqual([0]);
    expect(signals.errors[2]).toEqual([null]);
    expect(signals.latency[4]).toEqual([null]);
  });

  it("says when no step has a request", () => {
    expect(
      goldenSignals({
        series: [{ start: "2026-12-01T12:00:00Z", baseline: side(0, 0, null), dark: side(0, 0, null), comparison, paired: null }],
      }).empty,
    ).toBe(true);
    expect(goldenSignals({ series: [] }).empty).toBe(true);
  });
});

describe("changeMarkers", () => {
  it("puts each flag change on the charts' time axis, oldest first, saying what and who", () => {
    expect(
      changeMarkers([
        { at: "2026-12-01T12:05:30Z", action: "flag.rollout", actor: "ci" },
        { at: "2026-12-01T12:00:00Z", action: "flag.create", actor: "ana" },
      ]),
    ).toEqual([
      { t: Date.parse("2026-12-01T12:00:00Z") / 1000, label: "flag.create by ana" },
      { t: Date.parse("2026-12-01T12:05:30Z") / 1000, label: "flag.rollout by ci" },
    ]);
  });
});
