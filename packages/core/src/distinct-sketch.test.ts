import { describe, expect, it } from "vitest";
import { DISTINCT_EXACT_LIMIT, DistinctSketch, DistinctSketchSchema, mergeDistinct } from "./distinct-sketch.js";

function sketchOf(from: number, to: number, prefix = "u"): DistinctSketch {
  const sketch = new DistinctSketch();
  for (let i = from; i < to; i++) sketch.add(`${prefix}${i}`);
  return sketch;
}

describe("DistinctSketch", () => {
  it("counts exactly while small, repeats included", () => {
    const sketch = sketchOf(0, DISTINCT_EXACT_LIMIT);
    for (let i = 0; i < 50; i++) sketch.add(`u${i}`);
    expect(sketch.exact).toBe(true);
    expect(sketch.count()).toBe(DISTINCT_EXACT_LIMIT);
  });

  it("keeps the estimate within 5 % (3 standard errors) from the exact limit to 200 000", () => {
    for (const n of [DISTINCT_EXACT_LIMIT + 1, 1_000, 3_000, 10_000, 50_000, 200_000]) {
      const sketch = sketchOf(0, n, `s${n}-`);
      expect(sketch.exact).toBe(false);
      expect(Math.abs(sketch.count() / n - 1), `n = ${n}`).toBeLessThan(0.05);
    }
  });

  it("merges exactly: the union of parts equals the sketch of the whole, in any order, repeats included", () => {
    const whole = sketchOf(0, 20_000);
    const parts = [sketchOf(0, 100), sketchOf(50, 7_000), sketchOf(6_000, 20_000), sketchOf(10, 20)];
    const forward = new DistinctSketch();
    for (const part of parts) forward.merge(part);
    const backward = new DistinctSketch();
    for (const part of [...parts].reverse()) backward.merge(DistinctSketch.from(part.toData()));
    expect(forward.toData()).toEqual(whole.toData());
    expect(backward.toData()).toEqual(whole.toData());
  });

  it("merges small sketches into an exact union", () => {
    const merged = mergeDistinct(sketchOf(0, 100).toData(), sketchOf(60, 150).toData());
    expect(DistinctSketch.from(merged).exact).toBe(true);
    expect(DistinctSketch.from(merged).count()).toBe(150);
  });

  it("round-trips through its JSON form and the schema accepts it", () => {
    for (const sketch of [sketchOf(0, 10), sketchOf(0, 5_000)]) {
      const data = JSON.parse(JSON.stringify(sketch.toData()));
      expect(DistinctSketchSchema.safeParse(data).success).toBe(true);
      expect(DistinctSketch.from(data).count()).toBe(sketch.count());
    }
  });

  it("refuses malformed data", () => {
    expect(DistinctSketchSchema.safeParse({ hashes: ["xyz"] }).success).toBe(false);
    expect(DistinctSketchSchema.safeParse({ registers: "AAAA" }).success).toBe(false);
    expect(() => DistinctSketch.from({ registers: btoa(String.fromCharCode(...new Uint8Array(4096).fill(99))) })).toThrow(/register/);
  });
});
