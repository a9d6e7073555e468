import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LatencySketch, SKETCH_RELATIVE_ACCURACY } from "./latency-sketch.js";

function exactQuantile(values: number[], q: number): number {
  const sorted = values.slice().sort((a, b) => a - b);
  // DDSketch's rank convention: q · (n − 1), lower value.
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

function sketchOf(values: number[]): LatencySketch {
  const sketch = new LatencySketch();
  for (const v of values) sketch.record(v);
  return sketch;
}

const latency = fc.double({ min: 0.01, max: 60_000, noNaN: true });

describe("LatencySketch", () => {
  it("answers quantiles within its relative accuracy", () => {
    const values = Array.from({ length: 10_000 }, (_, i) => 0.5 + ((i * 7919) % 10_000) / 10);
    const sketch = sketchOf(values);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = exactQuantile(values, q);
      expect(Math.abs((sketch.quantile(q) as number) - exact) / exact).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY + 1e-9);
    }
    expect(sketch.count).toBe(10_000);
  });

  it("is empty until a value is recorded", () => {
    const sketch = new LatencySketch();
    expect(sketch.quantile(0.5)).toBeNull();
    expect(sketch.toJSON()).toEqual({ count: 0, sum: 0, min: null, max: null, zeroCount: 0, offset: 0, bins: [] });
  });

  it("counts zero, negative and non-finite latencies as 0 ms", () => {
    const sketch = sketchOf([0, -3, Number.NaN, Number.POSITIVE_INFINITY]);
    expect(sketch.toJSON()).toMatchObject({ count: 4, zeroCount: 4, sum: 0, min: 0, max: 0 });
    expect(sketch.quantile(0.99)).toBe(0);
  });

  it("survives JSON unchanged", () => {
    fc.assert(
      fc.property(fc.array(latency, { maxLength: 200 }), (values) => {
        const data = sketchOf(values).toJSON();
        expect(LatencySketch.from(JSON.parse(JSON.stringify(data))).toJSON()).toEqual(data);
      }),
    );
  });

  it("merges exactly: the merge of A and B answers as a sketch over A ∪ B", () => {
    fc.assert(
      fc.property(fc.array(latency, { maxLength: 300 }), fc.array(latency, { maxLength: 300 }), (a, b) => {
        const merged = sketchOf(a);
        merged.merge(sketchOf(b));
        const union = sketchOf([...a, ...b]);
        expect(merged.count).toBe(union.count);
        for (const q of [0, 0.5, 0.95, 0.99, 1]) expect(merged.quantile(q)).toBe(union.quantile(q));
        const m = merged.toJSON();
        const u = union.toJSON();
        expect({ ...m, sum: 0 }).toEqual({ ...u, sum: 0 });
        expect(m.sum).toBeCloseTo(u.sum, 6);
      }),
    );
  });

  it("merges sketches whose highest bin key is 0 (latencies near 1 ms)", () => {
    const low = sketchOf([0.5, 0.7, 1]);
    expect(low.toJSON().offset + low.toJSON().bins.length - 1).toBe(0);
    const merged = sketchOf([0.2]);
    merged.merge(low);
    expect(merged.count).toBe(4);
    expect(Math.abs((merged.quantile(1) as number) - 1)).toBeLessThanOrEqual(0.01);
    expect(merged.quantile(0)).toBeLessThan(0.21);
  });
});
