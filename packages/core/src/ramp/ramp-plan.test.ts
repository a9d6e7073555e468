import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { planInputArb } from "./ramp.arbitraries.js";
import { durationMinutes, parseRampPlan, validateRampPlan } from "./ramp-plan.js";

const problemsOf = (input: unknown) => {
  const checked = validateRampPlan(input);
  return checked.ok ? [] : checked.problems;
};

describe("parseRampPlan", () => {
  it("works without configuration: 1, 5, 25, 50, 100 %, 10 to 60 minutes a step, hold on INCONCLUSIVE, roll back to 0", () => {
    const defaults = {
      steps: [1, 5, 25, 50, 100],
      shadowSteps: [],
      minStep: 10,
      maxStep: 60,
      warmup: 2,
      onInconclusive: "hold",
      rollbackTo: "zero",
    };
    expect(parseRampPlan({})).toEqual(defaults);
    expect(parseRampPlan(undefined)).toEqual(defaults);
  });

  it("reads durations as text or minutes", () => {
    const plan = parseRampPlan({ minStep: "90s", maxStep: "1h30m", warmup: 1 });
    expect(plan).toMatchObject({ minStep: 1.5, maxStep: 90, warmup: 1 });
  });

  it("takes every field", () => {
    expect(
      parseRampPlan({
        steps: [0.5, 10, 33.33, 100],
        shadowSteps: [1, 10, 100],
        minStep: "5m",
        maxStep: "2h",
        warmup: "0",
        onInconclusive: "advance",
        rollbackTo: "last-safe",
      }),
    ).toEqual({
      steps: [0.5, 10, 33.33, 100],
      shadowSteps: [1, 10, 100],
      minStep: 5,
      maxStep: 120,
      warmup: 0,
      onInconclusive: "advance",
      rollbackTo: "last-safe",
    });
  });

  it("reads rollbackTo: 0 as zero", () => {
    expect(parseRampPlan({ rollbackTo: 0 }).rollbackTo).toBe("zero");
  });

  it.each<[string, unknown, { path: string; message: string }[]]>([
    [
      "a step above 100",
      { steps: [1, 50, 101] },
      [{ path: "steps[2]", message: "must be above 0 and at most 100 with at most two decimals, got 101" }],
    ],
    [
      "a step of 0",
      { steps: [0, 50] },
      [{ path: "steps[0]", message: "must be above 0 and at most 100 with at most two decimals, got 0" }],
    ],
    [
      "three decimals",
      { steps: [1.005, 50] },
      [{ path: "steps[0]", message: "must be above 0 and at most 100 with at most two decimals, got 1.005" }],
    ],
    ["a step that is text", { steps: ["5%"] }, [{ path: "steps[0]", message: 'must be a percentage, got "5%"' }]],
    [
      "steps not in order",
      { steps: [1, 25, 5, 100] },
      [{ path: "steps[2]", message: "must be greater than the step before it (25), got 5" }],
    ],
    ["a step twice", { steps: [1, 5, 5] }, [{ path: "steps[2]", message: "must be greater than the step before it (5), got 5" }]],
    [
      "shadow steps not in order",
      { shadowSteps: [10, 1] },
      [{ path: "shadowSteps[1]", message: "must be greater than the step before it (10), got 1" }],
    ],
    ["no steps", { steps: [] }, [{ path: "steps", message: "a ramp needs at least one step" }]],
    [
      "steps that are no array",
      { steps: "1,5,25" },
      [{ path: "steps", message: "must be an array of percentages such as [1, 5, 25, 50, 100]" }],
    ],
    [
      "a duration that is no duration",
      { minStep: "10 minutes" },
      [{ path: "minStep", message: 'must be a duration such as "10m", "1h", "90s" or a number of minutes, got "10 minutes"' }],
    ],
    [
      "a negative duration",
      { warmup: -1 },
      [{ path: "warmup", message: 'must be a duration such as "10m", "1h", "90s" or a number of minutes, got -1' }],
    ],
    [
      "a duration of the wrong type",
      { maxStep: true },
      [{ path: "maxStep", message: 'must be a duration such as "10m", "1h", "90s" or a number of minutes, got true' }],
    ],
    [
      "a step longer than 30 days",
      { maxStep: "721h" },
      [{ path: "maxStep", message: "must be at most 30 days (43200 minutes), got 43260 minutes" }],
    ],
    [
      "max below min",
      { minStep: "1h", maxStep: "30m" },
      [{ path: "maxStep", message: "must be at least minStep (60 minutes), got 30 minutes" }],
    ],
    ["a zero max", { minStep: 0, maxStep: 0, warmup: 0 }, [{ path: "maxStep", message: "must be more than 0 minutes" }]],
    [
      "a warm-up as long as the step",
      { maxStep: "10m", minStep: "5m", warmup: "10m" },
      [{ path: "warmup", message: "must be shorter than maxStep (10 minutes), got 10 minutes: a step would end before it is judged" }],
    ],
    [
      "an unknown policy",
      { onInconclusive: "pause" },
      [{ path: "onInconclusive", message: 'must be one of hold, advance, rollback, got "pause"' }],
    ],
    ["an unknown rollback target", { rollbackTo: 5 }, [{ path: "rollbackTo", message: 'must be 0 (or "zero") or "last-safe", got 5' }]],
    [
      "a misspelt field",
      { minstep: "10m" },
      [
        {
          path: "minstep",
          message: "unknown field; a ramp plan has steps, shadowSteps, minStep, maxStep, warmup, onInconclusive, rollbackTo",
        },
      ],
    ],
    ["no object", [1, 5], [{ path: "", message: 'a ramp plan is an object such as { steps: [1, 5, 25, 50, 100], minStep: "10m" }' }]],
  ])("names the field: %s", (_, input, problems) => {
    expect(problemsOf(input)).toEqual(problems);
  });

  it("reports several problems at once", () => {
    expect(problemsOf({ steps: [1, 200], onInconclusive: "wait", extra: 1 }).map((p) => p.path)).toEqual([
      "steps[1]",
      "onInconclusive",
      "extra",
    ]);
  });

  it("throws a ValidationError (400) that names the field", () => {
    let error: unknown;
    try {
      parseRampPlan({ steps: [5, 1] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).status).toBe(400);
    expect((error as ValidationError).message).toBe("ramp plan is invalid: steps[1]: must be greater than the step before it (5), got 1");
  });

  it("parses a parsed plan to itself (what the server stores reads back the same)", () => {
    fc.assert(
      fc.property(planInputArb, (input) => {
        const plan = parseRampPlan(input);
        expect(parseRampPlan(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
      }),
    );
  });
});

describe("durationMinutes", () => {
  it.each<[unknown, number | undefined]>([
    [10, 10],
    [0, 0],
    [1.5, 1.5],
    ["10", 10],
    ["10m", 10],
    ["1h", 60],
    ["1h30m", 90],
    ["90s", 1.5],
    ["0.5h", 30],
    ["1h30m15s", 90.25],
    ["1h1h", undefined],
    ["30m1h", undefined],
    [" 5m ", 5],
    ["", undefined],
    ["m", undefined],
    ["10 m", undefined],
    ["10min", undefined],
    ["-5m", undefined],
    [-1, undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    [null, undefined],
    [{}, undefined],
  ])("%j → %s", (input, minutes) => {
    expect(durationMinutes(input)).toBe(minutes);
  });
});
