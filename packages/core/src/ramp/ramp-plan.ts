import { z } from "zod";
import { type Problem, ValidationError } from "../errors.js";
import { isValidPercentage } from "../position.js";
import { formatPath, type Validation, zodProblems } from "../validate.js";

/** The serve steps a ramp takes when none are given: percentages of subjects served from dark. */
export const DEFAULT_RAMP_STEPS: readonly number[] = [1, 5, 25, 50, 100];
/** Minutes a step lasts at least (SAFE before this does not advance) and at most (then INCONCLUSIVE). */
export const DEFAULT_MIN_STEP_MINUTES = 10;
export const DEFAULT_MAX_STEP_MINUTES = 60;
/** Minutes after a step change that are shown but never acted on: the new split is still settling. */
export const DEFAULT_WARMUP_MINUTES = 2;
/** A ramp is a handful of steps; more is a typo (a list pasted twice) rather than a plan. */
export const MAX_RAMP_STEPS = 100;
/** A step longer than 30 days is a forgotten ramp, not a slow one. */
export const MAX_STEP_MINUTES = 30 * 24 * 60;

export const INCONCLUSIVE_POLICIES = ["hold", "advance", "rollback"] as const;
export type InconclusivePolicy = (typeof INCONCLUSIVE_POLICIES)[number];

/** Where a rollback leaves the flag: off (`zero`), or at the last step the judge called SAFE. */
export const ROLLBACK_TARGETS = ["zero", "last-safe"] as const;
export type RollbackTarget = (typeof ROLLBACK_TARGETS)[number];

// Hours, minutes, seconds, each at most once and in that order: "1h30m", "90s", "0.5h".
const DURATION = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/;

/**
 * A duration in minutes: a number of minutes, or text such as `"10m"`, `"1h"`, `"1h30m"`, `"90s"`
 * (a bare number in text is minutes too). Undefined when it is none of these or negative.
 *
 * @example
 * durationMinutes("1h30m"); // 90
 */
export function durationMinutes(input: unknown): number | undefined {
  if (typeof input === "number") return Number.isFinite(input) && input >= 0 ? input : undefined;
  if (typeof input !== "string") return undefined;
  const text = input.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text);
  const match = DURATION.exec(text);
  if (match === null || text === "") return undefined;
  const [, hours = "0", minutes = "0", seconds = "0"] = match;
  return Number(hours) * 60 + Number(minutes) + Number(seconds) / 60;
}

const DurationSchema = z.union([z.number(), z.string()], { error: (issue) => durationMessage(issue.input) }).transform((input, ctx) => {
  const minutes = durationMinutes(input);
  if (minutes === undefined) {
    ctx.addIssue({ code: "custom", message: durationMessage(input) });
    return z.NEVER;
  }
  if (minutes > MAX_STEP_MINUTES) {
    ctx.addIssue({ code: "custom", message: `must be at most 30 days (${MAX_STEP_MINUTES} minutes), got ${minutes} minutes` });
    return z.NEVER;
  }
  return minutes;
});

function durationMessage(input: unknown): string {
  return `must be a duration such as "10m", "1h", "90s" or a number of minutes, got ${JSON.stringify(input) ?? String(input)}`;
}

const StepSchema = z
  .number({ error: (issue) => `must be a percentage, got ${JSON.stringify(issue.input) ?? String(issue.input)}` })
  .refine((n) => isValidPercentage(n) && n > 0, {
    error: (issue) => `must be above 0 and at most 100 with at most two decimals, got ${issue.input}`,
  });

const StepsSchema = z
  .array(StepSchema, { error: "must be an array of percentages such as [1, 5, 25, 50, 100]" })
  .max(MAX_RAMP_STEPS, `a ramp has at most ${MAX_RAMP_STEPS} steps`);

const FIELDS = ["steps", "shadowSteps", "minStep", "maxStep", "warmup", "onInconclusive", "rollbackTo"] as const;

/**
 * A ramp plan (docs/architecture.md#the-judge, "a ramp is a plan"). Every field has a default, so `{}` is a working plan.
 * Durations are given as `"10m"`, `"1h"` or minutes and are minutes once parsed, so a parsed plan
 * parses to itself.
 */
export const RampPlanSchema = z
  .strictObject({
    /** Percentages served from dark, strictly increasing; the ramp completes after the last. */
    steps: StepsSchema.min(1, "a ramp needs at least one step").default(() => [...DEFAULT_RAMP_STEPS]),
    /** Optional mirror percentages taken before serving from dark (e.g. [1, 10, 100]); none by default. */
    shadowSteps: StepsSchema.default(() => []),
    minStep: DurationSchema.default(DEFAULT_MIN_STEP_MINUTES),
    maxStep: DurationSchema.default(DEFAULT_MAX_STEP_MINUTES),
    warmup: DurationSchema.default(DEFAULT_WARMUP_MINUTES),
    onInconclusive: z
      .enum(INCONCLUSIVE_POLICIES, {
        error: (issue) => `must be one of ${INCONCLUSIVE_POLICIES.join(", ")}, got ${JSON.stringify(issue.input)}`,
      })
      .default("hold"),
    rollbackTo: z
      .union([z.literal(0), z.enum(ROLLBACK_TARGETS)], {
        error: (issue) => `must be 0 (or "zero") or "last-safe", got ${JSON.stringify(issue.input)}`,
      })
      .transform((target): RollbackTarget => (target === 0 ? "zero" : target))
      .default("zero"),
  })
  .superRefine((plan, ctx) => {
    for (const field of ["steps", "shadowSteps"] as const) {
      plan[field].forEach((step, i) => {
        const before = plan[field][i - 1];
        if (before !== undefined && step <= before) {
          ctx.addIssue({ code: "custom", path: [field, i], message: `must be greater than the step before it (${before}), got ${step}` });
        }
      });
    }
    if (plan.maxStep <= 0) ctx.addIssue({ code: "custom", path: ["maxStep"], message: "must be more than 0 minutes" });
    else if (plan.maxStep < plan.minStep) {
      ctx.addIssue({
        code: "custom",
        path: ["maxStep"],
        message: `must be at least minStep (${plan.minStep} minutes), got ${plan.maxStep} minutes`,
      });
    }
    if (plan.maxStep > 0 && plan.warmup >= plan.maxStep) {
      ctx.addIssue({
        code: "custom",
        path: ["warmup"],
        message: `must be shorter than maxStep (${plan.maxStep} minutes), got ${plan.warmup} minutes: a step would end before it is judged`,
      });
    }
  });

/** A parsed ramp plan: defaults filled in, durations in minutes. */
export type RampPlan = z.output<typeof RampPlanSchema>;
/** A ramp plan as a user writes it (CLI, API): every field optional, durations as text or minutes. */
export type RampPlanInput = z.input<typeof RampPlanSchema>;

/** Checks a ramp plan; every problem names its field (`steps[2]`, `maxStep`). */
export function validateRampPlan(input: unknown): Validation<RampPlan> {
  const parsed = RampPlanSchema.safeParse(input ?? {});
  if (parsed.success) return { ok: true, value: parsed.data, problems: [] };
  return { ok: false, problems: planProblems(parsed.error) };
}

/**
 * The plan with defaults filled in; throws a `ValidationError` (400) listing every problem.
 *
 * @example
 * parseRampPlan({ steps: [5, 50, 100], minStep: "15m", maxStep: "2h" }).maxStep; // 120
 */
export function parseRampPlan(input: unknown): RampPlan {
  const checked = validateRampPlan(input);
  if (!checked.ok) throw new ValidationError("ramp plan", checked.problems);
  return checked.value;
}

function planProblems(error: z.ZodError): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      // One problem per unknown field, at its own path: `minstep` is a typo the user should see by name.
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key]), message: `unknown field; a ramp plan has ${FIELDS.join(", ")}` });
      }
    } else if (issue.code === "invalid_type" && issue.path.length === 0) {
      problems.push({ path: "", message: 'a ramp plan is an object such as { steps: [1, 5, 25, 50, 100], minStep: "10m" }' });
    } else {
      problems.push(...zodProblems(new z.ZodError([issue]), []));
    }
  }
  return problems;
}
