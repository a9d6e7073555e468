import { describe, expect, it } from "vitest";
import { LatencyReservoir } from "./latency-reservoir.js";
import { seededRandom } from "./seeded-random.js";

/** Seeded, so the sampling tests are repeatable. */
const seeded = seededRandom;

describe("LatencyReservoir", () => {
  it("keeps everything until it is full, then stays at its capacity", () => {
    const r = new LatencyReservoir([], 0, 10, seeded(1));
    for (let i = 0; i < 5; i++) r.record(i);
    expect(r.toArray()).toEqual([0, 1, 2, 3, 4]);
    for (let i = 5; i < 1000; i++) r.record(i);
    expect(r.toArray()).toHaveLength(10);
    expect(r.seen).toBe(1000);
  });

  it("samples uniformly: each value is kept with probability capacity / seen", () => {
    const kept = new Array<number>(100).fill(0);
    const random = seeded(7);
    for (let run = 0; run < 4000; run++) {
      const r = new LatencyReservoir([], 0, 10, random);
      for (let i = 0; i < 100; i++) r.record(i);
      for (const v of r.toArray()) kept[v] = (kept[v] as number) + 1;
    }
    // Expected 400 per value (10 %); binomial σ ≈ 19: 6σ bounds.
    for (const count of kept) expect(Math.abs(count - 400)).toBeLessThan(114);
  });

  it("merges in proportion to what each side saw", () => {
    const random = seeded(3);
    let fromSmall = 0;
    for (let run = 0; run < 500; run++) {
      const big = new LatencyReservoir(
        Array.from({ length: 100 }, () => 1),
        9000,
        100,
        random,
      );
      big.merge(
        Array.from({ length: 100 }, () => 2),
        1000,
      );
      expect(big.toArray()).toHaveLength(100);
      expect(big.seen).toBe(10_000);
      fromSmall += big.toArray().filter((v) => v === 2).length;
    }
    expect(fromSmall / 500).toBe(10);
  });

  it("concatenates when both fit", () => {
    const r = new LatencyReservoir([1, 2], 2, 10);
    r.merge([3], 1);
    expect(r.toArray()).toEqual([1, 2, 3]);
    expect(r.seen).toBe(3);
  });
});
