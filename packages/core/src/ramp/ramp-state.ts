import { z } from "zod";
import { ValidationError } from "../errors.js";
import { PercentageSchema } from "../flag-schema.js";
import { formatPercentage } from "../rollout.js";
import { formatPath } from "../validate.js";
import type { RampPlan } from "./ramp-plan.js";

/**
 * The judge's states (docs/architecture.md#the-judge). The ramp keeps its own copy of the names so that it depends on
 * nothing but what a verdict says; the server adapts the judge's verdict to `RampVerdict`.
 */
export const RAMP_VERDICT_STATES = ["INSUFFICIENT", "RUNNING", "REGRESSION", "SAFE", "INCONCLUSIVE", "UNHEALTHY"] as const;
export type RampVerdictState = (typeof RAMP_VERDICT_STATES)[number];

/** What a ramp needs from a verdict: its state, whether a crossed harm metric is critical, and why. */
export const RampVerdictSchema = z.strictObject({
  state: z.enum(RAMP_VERDICT_STATES),
  /** REGRESSION only: a harm e-value crossed on a metric marked critical (then the ramp rolls back). */
  criticalHarm: z.boolean().default(false),
  /** One sentence with numbers: "dark errors 2.1 % vs 1.0 % on 2 480 paired requests; evidence 41 ≥ 40". */
  why: z.string(),
  /** The metrics that crossed (harm for REGRESSION, the failed checks for UNHEALTHY): what a dismissal covers. */
  crossed: z.array(z.string()).default(() => []),
});
export type RampVerdict = z.output<typeof RampVerdictSchema>;
export type RampVerdictInput = z.input<typeof RampVerdictSchema>;

export const RAMP_STATUSES = ["running", "paused", "completed", "rolled_back", "aborted"] as const;
export type RampStatus = (typeof RAMP_STATUSES)[number];

/** `shadow`: dark gets a mirrored copy of the slice; `serve`: dark answers the slice. */
export const RAMP_PHASES = ["shadow", "serve"] as const;
export type RampPhase = (typeof RAMP_PHASES)[number];

/** A step of a plan: the phase and the index into that phase's steps. */
export const RampPositionSchema = z.strictObject({ phase: z.enum(RAMP_PHASES), step: z.number().int().min(0) });
export type RampPosition = z.output<typeof RampPositionSchema>;

/** What the flag should be: the slice (percent of subjects) mirrored to dark or served from it. */
export const RampTargetSchema = z.strictObject({ phase: z.enum(RAMP_PHASES), percentage: PercentageSchema });
export type RampTarget = z.output<typeof RampTargetSchema>;

export const RAMP_ALERT_KINDS = ["regression", "unhealthy", "insufficient", "inconclusive"] as const;
export type RampAlertKind = (typeof RAMP_ALERT_KINDS)[number];

/** What a ramp did, recorded in its history; `verdict` is the verdict that caused it, when one did. */
export const RAMP_EVENT_KINDS = [
  "start",
  "advance",
  "complete",
  "rollback",
  "alert",
  "extend",
  "pause",
  "resume",
  "abort",
  "promote",
  "dismiss",
  "manual-change",
] as const;
export type RampEventKind = (typeof RAMP_EVENT_KINDS)[number];

export const RampEventSchema = z.strictObject({
  at: z.number(),
  kind: z.enum(RAMP_EVENT_KINDS),
  /** Where the ramp was when it happened. */
  phase: z.enum(RAMP_PHASES),
  step: z.number().int().min(0),
  /** The flag's target after the event. */
  target: RampTargetSchema,
  verdict: RampVerdictSchema.optional(),
  /** `ramp` for automatic events; the person or token for manual ones. */
  by: z.string(),
  why: z.string(),
});
export type RampEvent = z.output<typeof RampEventSchema>;

/** A verdict a person dismissed: later verdicts with the same state and no other crossed metric are not acted on. */
export const RampDismissalSchema = z.strictObject({
  state: z.enum(RAMP_VERDICT_STATES),
  crossed: z.array(z.string()),
  reason: z.string(),
  by: z.string(),
  at: z.number(),
});
export type RampDismissal = z.output<typeof RampDismissalSchema>;

/** The most history a ramp keeps; the server's audit log has every event. */
export const MAX_RAMP_HISTORY = 500;

/**
 * A ramp in progress, as the server stores it between minutes (plain JSON: times are epoch
 * milliseconds). Only the functions of this folder change it; each returns a new state.
 */
export const RampStateSchema = z.strictObject({
  status: z.enum(RAMP_STATUSES),
  phase: z.enum(RAMP_PHASES),
  step: z.number().int().min(0),
  /** When the current step began (or the ramp was last resumed): the step's clock. */
  stepStartedAt: z.number(),
  /** INSUFFICIENT past the maximum time extends the step once; this records that it did. */
  extended: z.boolean(),
  /** The last step the judge called SAFE, where `rollbackTo: "last-safe"` returns to. */
  lastSafe: RampPositionSchema.nullable(),
  /** What the ramp last set the flag to (after a rollback: the rollback target). */
  target: RampTargetSchema,
  /** Alerts raised on the current step: each kind is raised once per step, then the ramp just holds. */
  alerted: z.array(z.enum(RAMP_ALERT_KINDS)),
  dismissed: z.array(RampDismissalSchema),
  lastVerdict: RampVerdictSchema.nullable(),
  /** Why the ramp is in its status: "paused: the flag's percentage was changed by hand …". */
  statusWhy: z.string(),
  history: z.array(RampEventSchema),
});
export type RampState = z.output<typeof RampStateSchema>;

/**
 * Reads a stored ramp state back, checking that it fits its plan (a step the plan does not have
 * means the plan and state were stored apart). Throws a `ValidationError`.
 */
export function parseRampState(input: unknown, plan: RampPlan): RampState {
  const parsed = RampStateSchema.safeParse(input);
  if (!parsed.success) {
    throw new ValidationError(
      "ramp state",
      parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    );
  }
  const state = parsed.data;
  const checks: [RampPosition | null, string][] = [
    [state, "step"],
    [state.lastSafe, "lastSafe.step"],
  ];
  for (const [position, path] of checks) {
    if (position !== null && stepsOf(plan, position.phase)[position.step] === undefined) {
      throw new ValidationError("ramp state", [
        { path, message: `the plan has no ${position.phase} step ${position.step} (it has ${stepsOf(plan, position.phase).length})` },
      ]);
    }
  }
  return state;
}

/** The steps of one phase of a plan. */
export function stepsOf(plan: RampPlan, phase: RampPhase): readonly number[] {
  return phase === "shadow" ? plan.shadowSteps : plan.steps;
}

/** The plan's first step: its first shadow step when it has a shadow phase. */
export function firstRampPosition(plan: RampPlan): RampPosition {
  return { phase: plan.shadowSteps.length > 0 ? "shadow" : "serve", step: 0 };
}

/** The step after `position` (the last shadow step is followed by the first serve step); undefined after the last. */
export function nextRampPosition(plan: RampPlan, position: RampPosition): RampPosition | undefined {
  if (position.step + 1 < stepsOf(plan, position.phase).length) return { phase: position.phase, step: position.step + 1 };
  return position.phase === "shadow" ? { phase: "serve", step: 0 } : undefined;
}

/** The flag's target at a step of the plan. */
export function rampTargetAt(plan: RampPlan, position: RampPosition): RampTarget {
  return { phase: position.phase, percentage: stepsOf(plan, position.phase)[position.step] ?? 0 };
}

/** The percentage of subjects served from dark (0 while shadowing: the mirror serves nobody). */
export function rampServedPercentage(target: RampTarget): number {
  return target.phase === "serve" ? target.percentage : 0;
}

/** Two targets mean the same flag: equal, or both nothing (0 % mirrored is 0 % served). */
export function sameRampTarget(a: RampTarget, b: RampTarget): boolean {
  return a.percentage === b.percentage && (a.phase === b.phase || a.percentage === 0);
}

/** "serving 25 % from dark", "mirroring 10 % to dark", "off". */
export function describeRampTarget(target: RampTarget): string {
  if (target.percentage === 0) return "0 % (off)";
  const percent = `${formatPercentage(target.percentage)} %`;
  return target.phase === "serve" ? `${percent} served from dark` : `${percent} mirrored to dark`;
}

/** "serve step 3 of 5 (25 %)". */
export function describeRampPosition(plan: RampPlan, position: RampPosition): string {
  const steps = stepsOf(plan, position.phase);
  return `${position.phase} step ${position.step + 1} of ${steps.length} (${formatPercentage(steps[position.step] ?? 0)} %)`;
}

/** Appends to a ramp's history, keeping the newest `MAX_RAMP_HISTORY` events. */
export function withEvent(history: readonly RampEvent[], event: RampEvent): RampEvent[] {
  const all = [...history, event];
  return all.length > MAX_RAMP_HISTORY ? all.slice(all.length - MAX_RAMP_HISTORY) : all;
}
