import { describe, expect, it } from "vitest";
import { isSignificant } from "./noise-rule.js";

describe("Diffy's noise rule", () => {
  it("calls every difference real without a second baseline", () => {
    expect(isSignificant({ raw: 1, total: 1000, noise: 0, noiseTotal: 0 })).toBe(true);
    expect(isSignificant({ raw: 0, total: 1000, noise: 0, noiseTotal: 0 })).toBe(false);
  });

  it("calls a field that differs as often between two baselines noise", () => {
    expect(isSignificant({ raw: 100, total: 100, noise: 100, noiseTotal: 100 })).toBe(false);
    expect(isSignificant({ raw: 100, total: 100, noise: 95, noiseTotal: 100 })).toBe(false); // relative 5 % ≤ 20 %
  });

  it("calls a field real when it differs markedly more often against dark", () => {
    expect(isSignificant({ raw: 100, total: 100, noise: 0, noiseTotal: 100 })).toBe(true);
    expect(isSignificant({ raw: 100, total: 100, noise: 79, noiseTotal: 100 })).toBe(true); // relative 21 %
    expect(isSignificant({ raw: 100, total: 100, noise: 80, noiseTotal: 100 })).toBe(false); // relative exactly 20 %
  });

  it("needs the difference to exceed 0.03 % of requests", () => {
    expect(isSignificant({ raw: 3, total: 10_000, noise: 0, noiseTotal: 10_000 })).toBe(false); // 0.03 %
    expect(isSignificant({ raw: 4, total: 10_000, noise: 0, noiseTotal: 10_000 })).toBe(true);
  });

  it("compares rates when the two were compared a different number of times", () => {
    expect(isSignificant({ raw: 50, total: 100, noise: 50, noiseTotal: 50 })).toBe(false); // 50 % vs 100 %
    expect(isSignificant({ raw: 50, total: 100, noise: 5, noiseTotal: 50 })).toBe(true); // 50 % vs 10 %
  });
});
