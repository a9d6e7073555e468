import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ARBITRARY_NOW, contextArb, rulesetArb } from "./evaluation.arbitraries.js";
import { sharedSlot } from "./shared-results.js";
import { compile } from "./snapshot.js";
import { flag, rollout, snapshotOf } from "./test-builders.js";

describe("shared results are numbered (what SDK telemetry counts by)", () => {
  it("every result decide returns is either the snapshot's numbered one or an error of its own", () => {
    fc.assert(
      fc.property(rulesetArb, fc.array(contextArb, { minLength: 1, maxLength: 6 }), (ruleset, contexts) => {
        const snapshot = compile(ruleset, { now: () => ARBITRARY_NOW });
        for (const key of snapshot.keys()) {
          for (const context of contexts) {
            const result = snapshot.decide(key, context);
            const slot = sharedSlot(result);
            if (result.errorCode === undefined) {
              expect(slot).toBeGreaterThanOrEqual(0);
              expect(snapshot.shared.at(slot)).toBe(result);
              expect(Object.isFrozen(result)).toBe(true);
            } else {
              expect(slot).toBe(-1);
            }
          }
        }
        // Numbers are the indexes of a list: unique, dense, each naming its own result.
        for (let slot = 0; slot < snapshot.shared.size; slot++) expect(sharedSlot(snapshot.shared.at(slot)!)).toBe(slot);
      }),
      { numRuns: 150 },
    );
  });

  it("a split's result with its position, and errors, are built for one evaluation and carry no number", () => {
    const snapshot = snapshotOf([flag({ fallthrough: rollout(50) })]);
    expect(sharedSlot(snapshot.evaluate("f", { id: "u1" }))).toBe(-1);
    expect(sharedSlot(snapshot.decide("f", { id: "u1" }))).toBeGreaterThanOrEqual(0);
    expect(sharedSlot(snapshot.decide("missing", { id: "u1" }))).toBe(-1);
    expect(sharedSlot(snapshot.decide("f", { id: "u1" }, "text"))).toBe(-1);
  });

  it("the number is invisible to callers: not in JSON, keys, spreads or equality", () => {
    const snapshot = snapshotOf([flag({ fallthrough: { variant: "on" } })]);
    const result = snapshot.evaluate("f", { id: "u1" });
    expect(sharedSlot(result)).toBeGreaterThanOrEqual(0);
    const plain = { ...result };
    expect(Object.getOwnPropertySymbols(plain)).toEqual([]);
    expect(Object.keys(result)).toEqual(Object.keys(plain));
    expect(JSON.stringify(result)).toBe(JSON.stringify(plain));
    expect(result).toStrictEqual(plain);
    expect(sharedSlot(plain)).toBe(-1);
  });

  it("each snapshot numbers its own results from 0", () => {
    const one = snapshotOf([flag({ key: "a" }), flag({ key: "b", fallthrough: rollout(10) })]);
    const two = snapshotOf([flag({ key: "b", fallthrough: rollout(10) })]);
    expect(one.shared.size).toBeGreaterThan(two.shared.size);
    expect(two.shared.at(0)?.flagKey).toBe("b");
    expect(sharedSlot(two.shared.at(0)!)).toBe(0);
  });
});
