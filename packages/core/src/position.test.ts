import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hundredthsArb, saltArb, subjectArb } from "./position.arbitraries.js";
import { isValidPercentage, POSITION_SCALE, position, positionHundredths, saltPrefix, toHundredths } from "./position.js";
import { compile } from "./snapshot.js";

/** docs/architecture.md#position-deterministic-bucketing written the slow, obvious way with node:crypto. */
function referencePosition(subject: string, salt: string): number {
  const digest = createHash("md5")
    .update(salt === "" ? subject : `${salt}:${subject}`, "utf8")
    .digest();
  return (digest.readUInt32BE(0) % 10_000) / 100;
}

describe("position (docs/architecture.md#position-deterministic-bucketing)", () => {
  it("is the formula of docs/architecture.md#position-deterministic-bucketing, for any subject and salt", () => {
    fc.assert(
      fc.property(subjectArb, saltArb, (subject, salt) => {
        expect(position(subject, salt)).toBe(referencePosition(subject, salt));
      }),
      { numRuns: 20_000 },
    );
  });

  it("is deterministic: the same input gives the same position, whatever was hashed in between", () => {
    fc.assert(
      fc.property(subjectArb, saltArb, fc.array(subjectArb, { maxLength: 5 }), (subject, salt, noise) => {
        const first = position(subject, salt);
        for (const other of noise) position(other, salt);
        expect(position(subject, salt)).toBe(first);
      }),
    );
  });

  it("lies in [0, 99.99] with at most two decimals", () => {
    fc.assert(
      fc.property(subjectArb, saltArb, (subject, salt) => {
        const p = position(subject, salt);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(99.99);
        expect(isValidPercentage(p)).toBe(true);
      }),
    );
  });

  it("the empty salt hashes the plain subject; any other salt hashes salt:subject", () => {
    expect(position("u42", "")).toBe(referencePosition("u42", ""));
    expect(positionHundredths(saltPrefix("flag"), "u42")).toBe(Math.round(referencePosition("u42", "flag") * 100));
    expect(position("flag:u42", "")).toBe(position("u42", "flag"));
  });

  it("monotone ramp: raising a percentage never removes a subject", () => {
    fc.assert(
      fc.property(subjectArb, saltArb, hundredthsArb, hundredthsArb, (subject, salt, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const p = positionHundredths(saltPrefix(salt), subject);
        if (p < low) expect(p < high).toBe(true);
      }),
    );
  });

  it("the share of subjects inside p % is p within statistical bounds", () => {
    const n = 40_000;
    const ids = fc.sample(fc.uuid(), { numRuns: n, seed: 7 });
    for (const percentage of [0.01, 1, 10, 25, 50, 90]) {
      const inside = ids.filter((id) => position(id, "share-test") < percentage).length;
      const p = percentage / 100;
      // Six standard deviations of a binomial: a false failure is about one in a billion.
      const bound = 6 * Math.sqrt(n * p * (1 - p)) + 1;
      expect(Math.abs(inside - n * p), `${percentage} %`).toBeLessThanOrEqual(bound);
    }
  });

  it("positions under two different salts are independent", () => {
    const n = 40_000;
    const ids = fc.sample(fc.uuid(), { numRuns: n, seed: 11 });
    // 2×2 table of (inside 50 % of flag a) × (inside 50 % of flag b): each cell should be n/4.
    const cells = [0, 0, 0, 0];
    for (const id of ids) {
      const a = position(id, "flag-a") < 50 ? 1 : 0;
      const b = position(id, "flag-b") < 50 ? 1 : 0;
      cells[a * 2 + b]!++;
    }
    const expected = n / 4;
    const chiSquare = cells.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 3 degrees of freedom; 27.9 is the 1e-5 critical value.
    expect(chiSquare).toBeLessThan(27.9);
    // And the 10 % slices overlap as independent sets would (≈ 1 %), not as the same users would.
    const both = ids.filter((id) => position(id, "flag-a") < 10 && position(id, "flag-b") < 10).length;
    expect(Math.abs(both - n * 0.01)).toBeLessThanOrEqual(6 * Math.sqrt(n * 0.01 * 0.99) + 1);
  });

  it("flags that share a salt share their subjects on purpose", () => {
    const flag = (key: string) => ({
      key,
      salt: "shared",
      enabled: true,
      variants: { on: true, off: false },
      offVariant: "off",
      fallthrough: {
        split: [
          { variant: "on", weight: 30 },
          { variant: "off", weight: 70 },
        ],
      },
    });
    const snapshot = compile({ flags: [flag("a"), flag("b")] });
    for (const id of fc.sample(fc.uuid(), { numRuns: 2_000, seed: 3 })) {
      expect(snapshot.evaluate("a", { id }).variant).toBe(snapshot.evaluate("b", { id }).variant);
    }
  });

  it("split ranges partition [0, 100): every position belongs to exactly one variant, in order", () => {
    const splitArb = fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 6 }).map((cuts) => {
      const sorted = [...cuts].sort((a, b) => a - b);
      const weights = sorted.map((c, i) => c - (i === 0 ? 0 : sorted[i - 1]!));
      weights.push(10_000 - sorted[sorted.length - 1]!);
      return weights;
    });
    fc.assert(
      fc.property(splitArb, fc.array(subjectArb, { minLength: 1, maxLength: 30 }), (weights, subjects) => {
        const variants = Object.fromEntries(weights.map((_, i) => [`v${i}`, i]));
        const snapshot = compile({
          flags: [
            {
              key: "split",
              enabled: true,
              variants,
              offVariant: "v0",
              fallthrough: { split: weights.map((w, i) => ({ variant: `v${i}`, weight: w / 100 })) },
            },
          ],
        });
        for (const subject of subjects) {
          const result = snapshot.evaluate("split", { id: subject });
          const hundredths = toHundredths(result.position!);
          // The owner of a position is the entry whose range [start, start + weight) contains it.
          let start = 0;
          const owners = weights.flatMap((w, i) => {
            const inside = hundredths >= start && hundredths < start + w;
            start += w;
            return inside ? [i] : [];
          });
          expect(owners).toHaveLength(1);
          expect(result.value).toBe(owners[0]);
        }
        expect(weights.reduce((a, b) => a + b, 0)).toBe(POSITION_SCALE);
      }),
      { numRuns: 300 },
    );
  });

  it("accepts percentages with two decimals and rejects others", () => {
    for (const ok of [0, 0.01, 10, 33.33, 99.99, 100]) expect(isValidPercentage(ok), String(ok)).toBe(true);
    for (const bad of [-0.01, 100.01, 10.001, Number.NaN, Number.POSITIVE_INFINITY])
      expect(isValidPercentage(bad), String(bad)).toBe(false);
    expect(toHundredths(0.29)).toBe(29);
    expect(toHundredths(33.33) + toHundredths(33.33) + toHundredths(33.34)).toBe(10_000);
  });
});
