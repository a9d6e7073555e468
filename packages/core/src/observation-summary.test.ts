import { describe, expect, it } from "vitest";
import { LatencySketch } from "./latency-sketch.js";
import { fieldReports, summarizeComparison, summarizeSide } from "./observation-summary.js";
import { emptyComparison, emptySide } from "./observation-window.js";

describe("observation summaries", () => {
  it("summarize a side with its error rate and quantiles", () => {
    const sketch = new LatencySketch();
    for (let i = 1; i <= 100; i++) sketch.record(i);
    const summary = summarizeSide({ requests: 100, errors: 5, latency: sketch.toJSON(), reservoir: [] });
    expect(summary).toMatchObject({ requests: 100, errors: 5, errorRate: 0.05, mean: 50.5 });
    expect(Math.abs((summary.p50 as number) - 50) / 50).toBeLessThanOrEqual(0.011);
    expect(Math.abs((summary.p99 as number) - 99) / 99).toBeLessThanOrEqual(0.011);
  });

  it("report nulls, not zeros, for what has no data", () => {
    expect(summarizeSide(emptySide())).toEqual({ requests: 0, errors: 0, errorRate: null, mean: null, p50: null, p95: null, p99: null });
    expect(summarizeComparison(emptyComparison()).divergenceRate).toBeNull();
  });

  it("judge fields with Diffy's rule over the period, most frequent first", () => {
    const reports = fieldReports({
      total: 1000,
      matched: 600,
      mismatched: 400,
      noiseTotal: 1000,
      fields: { "body.id": 1000, "body.price": 400, "body.rare": 1 },
      noise: { "body.id": 990 },
    });
    expect(reports).toEqual([
      { path: "body.id", differences: 1000, rate: 1, noise: 990, noiseRate: 0.99, significant: false },
      { path: "body.price", differences: 400, rate: 0.4, noise: 0, noiseRate: 0, significant: true },
      { path: "body.rare", differences: 1, rate: 0.001, noise: 0, noiseRate: 0, significant: true },
    ]);
  });
});
