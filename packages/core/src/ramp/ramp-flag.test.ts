import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import type { Flag, FlagInput } from "../flag-schema.js";
import { compile } from "../snapshot.js";
import { flag } from "../test-builders.js";
import { parseFlag } from "../validate.js";
import { rampFlag, rampFlagProblems, rampTargetOf } from "./ramp-flag.js";
import { parseRampPlan } from "./ramp-plan.js";
import { RAMP_PHASES, type RampTarget } from "./ramp-state.js";

const release = (overrides: Partial<FlagInput> = {}): Flag => parseFlag(flag({ key: "checkout-v2", ...overrides }));
const threeWay = (overrides: Partial<FlagInput> = {}): Flag =>
  parseFlag(
    flag({
      key: "search-v2",
      variants: { stable: "stable", shadow: "shadow", dark: "dark" },
      offVariant: "stable",
      fallthrough: { variant: "stable" },
      ...overrides,
    }),
  );

describe("rampFlag", () => {
  it("a release flag: the step is the on variant's weight", () => {
    expect(rampFlag(release(), { phase: "serve", percentage: 25 }).fallthrough).toEqual({
      split: [
        { variant: "on", weight: 25 },
        { variant: "off", weight: 75 },
      ],
    });
  });

  it("a stable/shadow/dark flag: the shadow phase sets the shadow weight, the serve phase the dark weight", () => {
    expect(rampFlag(threeWay(), { phase: "shadow", percentage: 10 }).fallthrough).toEqual({
      split: [
        { variant: "shadow", weight: 10 },
        { variant: "stable", weight: 90 },
      ],
    });
    expect(rampFlag(threeWay(), { phase: "serve", percentage: 5 }).fallthrough).toEqual({
      split: [
        { variant: "dark", weight: 5 },
        { variant: "stable", weight: 95 },
      ],
    });
  });

  it("finds the variants by value, as the proxy reads them", () => {
    const named = threeWay({ variants: { a: "stable", b: "shadow", c: "dark" }, offVariant: "a", fallthrough: { variant: "a" } });
    expect(rampFlag(named, { phase: "serve", percentage: 5 }).fallthrough.split?.[0]).toEqual({ variant: "c", weight: 5 });
    expect(rampFlag(named, { phase: "shadow", percentage: 5 }).fallthrough.split?.[0]).toEqual({ variant: "b", weight: 5 });
  });

  it("leaves rules, enabled and everything but the fallthrough alone", () => {
    const original = release({ enabled: false, rules: [{ id: "staff", conditions: [], serve: { variant: "on" } }], version: 4 });
    const ramped = rampFlag(original, { phase: "serve", percentage: 50 });
    expect({ ...ramped, fallthrough: original.fallthrough }).toEqual(original);
  });

  it("refuses a shadow step on a flag with no shadow variant", () => {
    expect(() => rampFlag(release(), { phase: "shadow", percentage: 10 })).toThrow(ValidationError);
  });

  it("refuses a flag with several variants and no dark one", () => {
    const colors = release({ variants: { blue: "b", green: "g", off: "" }, fallthrough: { variant: "off" } });
    expect(() => rampFlag(colors, { phase: "serve", percentage: 10 })).toThrow(/one variant besides "off"/);
  });

  it("monotone: a subject served at one step is served at every later step, and the mirrored ones are served first", () => {
    const base = threeWay();
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (id, a, b) => {
        const [low, high] = a <= b ? [a / 100, b / 100] : [b / 100, a / 100];
        const snapshot = (target: RampTarget) => compile({ flags: [rampFlag(base, target)] });
        const variantAt = (target: RampTarget) => snapshot(target).evaluate("search-v2", { id }).variant;
        if (variantAt({ phase: "serve", percentage: low }) === "dark") expect(variantAt({ phase: "serve", percentage: high })).toBe("dark");
        if (variantAt({ phase: "shadow", percentage: low }) === "shadow")
          expect(variantAt({ phase: "serve", percentage: high })).toBe("dark");
      }),
      { numRuns: 200 },
    );
  });
});

describe("rampTargetOf", () => {
  it.each<[string, Flag, RampTarget | undefined]>([
    ["a release flag at 25 %", rampFlag(release(), { phase: "serve", percentage: 25 }), { phase: "serve", percentage: 25 }],
    ["a release flag serving off", release(), { phase: "serve", percentage: 0 }],
    ["a release flag serving on", release({ fallthrough: { variant: "on" } }), { phase: "serve", percentage: 100 }],
    [
      "a disabled flag serves nobody",
      rampFlag(release({ enabled: false }), { phase: "serve", percentage: 25 }),
      { phase: "serve", percentage: 0 },
    ],
    ["mirroring", rampFlag(threeWay(), { phase: "shadow", percentage: 10 }), { phase: "shadow", percentage: 10 }],
    ["serving from dark", rampFlag(threeWay(), { phase: "serve", percentage: 50 }), { phase: "serve", percentage: 50 }],
    [
      "shadow and dark at once is no ramp step",
      threeWay({
        fallthrough: {
          split: [
            { variant: "dark", weight: 10 },
            { variant: "shadow", weight: 10 },
            { variant: "stable", weight: 80 },
          ],
        },
      }),
      undefined,
    ],
    [
      "off first is no rollout",
      release({
        fallthrough: {
          split: [
            { variant: "off", weight: 90 },
            { variant: "on", weight: 10 },
          ],
        },
      }),
      undefined,
    ],
  ])("%s", (_, input, expected) => {
    expect(rampTargetOf(input)).toEqual(expected);
  });

  it("reads back what rampFlag set", () => {
    fc.assert(
      fc.property(fc.constantFrom(...RAMP_PHASES), fc.integer({ min: 1, max: 10_000 }), (phase, hundredths) => {
        const target = { phase, percentage: hundredths / 100 };
        expect(rampTargetOf(rampFlag(threeWay(), target))).toEqual(target);
        if (phase === "serve") expect(rampTargetOf(rampFlag(release(), target))).toEqual(target);
      }),
    );
  });
});

describe("rampFlagProblems", () => {
  it("accepts a release flag without a shadow phase and a stable/shadow/dark flag with one", () => {
    expect(rampFlagProblems(release(), parseRampPlan({}))).toEqual([]);
    expect(rampFlagProblems(threeWay(), parseRampPlan({ shadowSteps: [1, 10, 100] }))).toEqual([]);
  });

  it("refuses a shadow phase on a flag with no shadow variant", () => {
    expect(rampFlagProblems(release(), parseRampPlan({ shadowSteps: [1] }))).toEqual([
      {
        path: "shadowSteps",
        message:
          'a shadow phase needs a flag with a variant whose value is "shadow" besides "dark"; remove shadowSteps to ramp this flag by serving only',
      },
    ]);
    const darkOnly = threeWay({ variants: { stable: "stable", dark: "dark" } });
    expect(rampFlagProblems(darkOnly, parseRampPlan({ shadowSteps: [1] })).map((p) => p.path)).toEqual(["shadowSteps"]);
  });

  it("refuses a flag a ramp cannot move", () => {
    const colors = release({ variants: { blue: "b", green: "g", off: "" }, fallthrough: { variant: "off" } });
    expect(rampFlagProblems(colors, parseRampPlan({}))).toEqual([
      {
        path: "flag",
        message:
          'a ramp moves a flag with one variant besides "off" (a release flag) or one whose variants have the values "stable", "shadow" and "dark"; this one has 2 other variants and none is "dark"',
      },
    ]);
  });
});
