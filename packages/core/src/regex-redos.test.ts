import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { adversarialPatternArb, largeSubjectArb } from "./regex.arbitraries.js";
import { flag, snapshotOf } from "./test-builders.js";

/**
 * Generous for a loaded 2-core machine (a linear match of 10 KB takes a few milliseconds), yet
 * far below what a backtracking engine needs: these shapes take longer than the age of the
 * universe on 10 KB, and minutes on 40 characters.
 */
const BOUND_MS = 250;

describe("matches runs in linear time (issue 11: ReDoS)", () => {
  it("adversarial patterns against 10 KB subjects finish within a bound, in the evaluator every service runs", () => {
    fc.assert(
      fc.property(
        adversarialPatternArb.chain(({ pattern, letter }) => fc.tuple(fc.constant(pattern), largeSubjectArb(letter))),
        ([pattern, subject]) => {
          const snapshot = snapshotOf([
            flag({
              rules: [{ id: "r", conditions: [{ attribute: "email", op: "matches", values: [pattern] }], serve: { variant: "on" } }],
            }),
          ]);
          const start = performance.now();
          const result = snapshot.evaluate("f", { id: "u1", email: subject });
          const elapsed = performance.now() - start;
          expect(result.errorCode).toBeUndefined();
          expect(elapsed).toBeLessThan(BOUND_MS);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("the patterns of the report are saved and answer correctly", () => {
    const cases: [string, string, boolean][] = [
      ["(a|a)*$", `${"a".repeat(41)}!`, true],
      ["^(a|a?)+$", `${"a".repeat(41)}!`, false],
      ["([ab]|[ac])*d", "ab".repeat(5_000), false],
      [`${"a*".repeat(30)}b`, "a".repeat(10_000), false],
      [`${".*".repeat(40)}=`, `${"x".repeat(10_000)}=`, true],
    ];
    for (const [pattern, subject, expected] of cases) {
      const snapshot = snapshotOf([
        flag({ rules: [{ id: "r", conditions: [{ attribute: "email", op: "matches", values: [pattern] }], serve: { variant: "on" } }] }),
      ]);
      expect(snapshot.evaluate("f", { email: subject }).variant, pattern).toBe(expected ? "on" : "off");
    }
  });
});
