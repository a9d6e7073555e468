import fc from "fast-check";
import { INCONCLUSIVE_POLICIES, parseRampPlan, type RampPlan, type RampPlanInput } from "./ramp-plan.js";
import { RAMP_PHASES, RAMP_VERDICT_STATES, type RampTarget, type RampVerdict } from "./ramp-state.js";

/** Strictly increasing percentages with at most two decimals, above 0: a plan's steps. */
export const stepsArb = (minLength: number, maxLength: number): fc.Arbitrary<number[]> =>
  fc
    .uniqueArray(fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom(100, 500, 2_500, 5_000, 10_000)), { minLength, maxLength })
    .map((hundredths) => hundredths.sort((a, b) => a - b).map((h) => h / 100));

/** A duration as a user writes it: minutes as a number, or text in minutes, hours or seconds. */
const durationArb = (minutes: number): fc.Arbitrary<number | string> =>
  fc.constantFrom<number | string>(
    minutes,
    `${minutes}m`,
    `${minutes * 60}s`,
    ...(minutes % 60 === 0 && minutes > 0 ? [`${minutes / 60}h`] : []),
  );

/** Valid ramp plans as a user writes them, with and without a shadow phase, every policy and target. */
export const planInputArb: fc.Arbitrary<RampPlanInput> = fc
  .record({
    steps: stepsArb(1, 6),
    shadowSteps: fc.oneof(fc.constant([]), stepsArb(1, 3)),
    minStep: fc.integer({ min: 0, max: 30 }),
    spare: fc.integer({ min: 1, max: 60 }),
    warmup: fc.integer({ min: 0, max: 5 }),
    onInconclusive: fc.constantFrom(...INCONCLUSIVE_POLICIES),
    rollbackTo: fc.constantFrom(0, "zero", "last-safe"),
  })
  .chain(({ spare, minStep, warmup, ...rest }) => {
    const maxStep = Math.max(minStep, warmup) + spare;
    return fc
      .record({ minStep: durationArb(minStep), maxStep: durationArb(maxStep), warmup: durationArb(warmup) })
      .map((durations) => ({ ...rest, ...durations }) as RampPlanInput);
  });

/** Parsed plans. */
export const planArb: fc.Arbitrary<RampPlan> = planInputArb.map((input) => parseRampPlan(input));

/** Verdicts of every state; `criticalHarm` only on REGRESSION, where it means something. */
export const verdictArb: fc.Arbitrary<RampVerdict> = fc
  .record({
    // Weighted towards SAFE and RUNNING, so that ramps live long enough to reach their later steps.
    state: fc.oneof(
      { weight: 5, arbitrary: fc.constant("SAFE" as const) },
      { weight: 4, arbitrary: fc.constant("RUNNING" as const) },
      { weight: 2, arbitrary: fc.constantFrom(...RAMP_VERDICT_STATES) },
    ),
    criticalHarm: fc.boolean(),
    crossed: fc.subarray(["errors", "p99", "mismatches", "srm"]),
  })
  .map(({ state, criticalHarm, crossed }) => ({
    state,
    criticalHarm: state === "REGRESSION" && criticalHarm,
    crossed,
    why: `${state} on ${crossed.join(", ") || "nothing"}`,
  }));

/** A flag setting someone may make by hand: any phase and percentage, or a split that is no rollout. */
export const manualTargetArb: fc.Arbitrary<RampTarget | undefined> = fc.option(
  fc.record({ phase: fc.constantFrom(...RAMP_PHASES), percentage: fc.integer({ min: 0, max: 10_000 }).map((h) => h / 100) }),
  { nil: undefined },
);

/** One thing that happens to a ramp after `after` minutes: a verdict from the judge, a manual control, or a hand change of the flag. */
export type RampEventScript =
  | { kind: "verdict"; after: number; verdict: RampVerdict }
  | { kind: "pause" | "resume" | "promote" | "abort" | "dismiss"; after: number }
  | { kind: "manual"; after: number; target: RampTarget | undefined };

const afterArb = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 130 }), fc.double({ min: 0, max: 20, noNaN: true }));

/** The life of a ramp: mostly minutes with verdicts, sometimes a person acting. */
export const scriptArb: fc.Arbitrary<RampEventScript[]> = fc.array(
  fc.oneof(
    { weight: 12, arbitrary: fc.record({ kind: fc.constant("verdict" as const), after: afterArb, verdict: verdictArb }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constantFrom("pause" as const, "resume" as const, "promote" as const, "abort" as const, "dismiss" as const),
        after: afterArb,
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("manual" as const), after: afterArb, target: manualTargetArb }) },
  ),
  { maxLength: 60 },
);
