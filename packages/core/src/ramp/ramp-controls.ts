import { DarkLaunchError } from "../errors.js";
import type { RampDecision } from "./ramp-decision.js";
import type { RampPlan } from "./ramp-plan.js";
import {
  describeRampPosition,
  describeRampTarget,
  firstRampPosition,
  nextRampPosition,
  type RampEvent,
  type RampState,
  type RampTarget,
  rampTargetAt,
  sameRampTarget,
  withEvent,
} from "./ramp-state.js";

/** A manual action that the ramp's status does not allow (promote a completed ramp…): HTTP 409. */
export class RampConflictError extends DarkLaunchError {
  override readonly name = "RampConflictError";

  constructor(message: string) {
    super("RAMP_CONFLICT", 409, message);
  }
}

/** Who did it and when; `by` defaults to `"manual"`. */
export interface RampControl {
  /** Epoch milliseconds. */
  now: number;
  by?: string;
  reason?: string;
}

/**
 * A new ramp at the plan's first step (its first shadow step when it has a shadow phase).
 *
 * @example
 * const { newState, target } = startRamp(parseRampPlan({}), { now: Date.now(), by: "alice" });
 * // target: { phase: "serve", percentage: 1 }
 */
export function startRamp(plan: RampPlan, control: RampControl): RampDecision {
  const position = firstRampPosition(plan);
  const target = rampTargetAt(plan, position);
  const why = `ramp started at ${describeRampPosition(plan, position)}: ${describeRampTarget(target)}${because(control)}`;
  const newState: RampState = {
    status: "running",
    ...position,
    stepStartedAt: control.now,
    extended: false,
    lastSafe: null,
    target,
    alerted: [],
    dismissed: [],
    lastVerdict: null,
    statusWhy: why,
    history: [{ at: control.now, kind: "start", ...position, target, by: by(control), why }],
  };
  return { action: "start", newState, target, why };
}

/** Stops acting on verdicts; the flag stays where it is. Pausing a paused ramp changes nothing. */
export function pauseRamp(state: RampState, control: RampControl): RampDecision {
  if (state.status === "paused") return { action: "none", newState: state, why: "the ramp is paused already" };
  requireStatus(state, "paused", ["running"]);
  const why = `paused by ${by(control)} at ${describeRampTarget(state.target)}${because(control)}`;
  return { action: "pause", newState: { ...state, status: "paused", statusWhy: why, history: record(state, control, "pause", why) }, why };
}

/**
 * Runs a paused ramp again. The step starts over (warm-up, minimum and maximum time) at the
 * step's own target, which the caller applies: the flag may have been changed by hand meanwhile.
 */
export function resumeRamp(plan: RampPlan, state: RampState, control: RampControl): RampDecision {
  requireStatus(state, "resumed", ["paused"]);
  const target = rampTargetAt(plan, state);
  const why = `resumed by ${by(control)} at ${describeRampPosition(plan, state)}: ${describeRampTarget(target)}; the step starts over${because(control)}`;
  const newState: RampState = {
    ...state,
    status: "running",
    stepStartedAt: control.now,
    extended: false,
    alerted: [],
    target,
    statusWhy: why,
    history: record(state, control, "resume", why, target),
  };
  return { action: "resume", newState, target, why };
}

/**
 * Ends the ramp for good. Like Argo Rollouts' abort, it sets the flag to 0 (nothing mirrored or
 * served from dark) unless `keepFlag` is set, for a person who takes over by hand.
 */
export function abortRamp(state: RampState, control: RampControl & { keepFlag?: boolean }): RampDecision {
  requireStatus(state, "aborted", ["running", "paused"]);
  const target = control.keepFlag === true ? undefined : { phase: state.phase, percentage: 0 };
  const left =
    target === undefined ? `the flag stays at ${describeRampTarget(state.target)}` : `the flag is set to ${describeRampTarget(target)}`;
  const why = `aborted by ${by(control)}; ${left}${because(control)}`;
  const newState: RampState = {
    ...state,
    status: "aborted",
    target: target ?? state.target,
    statusWhy: why,
    history: record(state, control, "abort", why, target),
  };
  return target === undefined ? { action: "abort", newState, why } : { action: "abort", newState, target, why };
}

/**
 * Skips to the next step now, whatever the judge says (the minimum time too); after the last step
 * the ramp completes. A paused ramp runs again. The skipped step is not counted as SAFE.
 */
export function promoteRamp(plan: RampPlan, state: RampState, control: RampControl): RampDecision {
  requireStatus(state, "promoted", ["running", "paused"]);
  const next = nextRampPosition(plan, state);
  if (next === undefined) {
    const why = `promoted by ${by(control)} past the last step: the ramp is complete at ${describeRampTarget(state.target)}${because(control)}`;
    const newState: RampState = { ...state, status: "completed", statusWhy: why, history: record(state, control, "promote", why) };
    return { action: "complete", newState, why };
  }
  const target = rampTargetAt(plan, next);
  const why = `promoted by ${by(control)} to ${describeRampPosition(plan, next)}: ${describeRampTarget(target)}${because(control)}`;
  const newState: RampState = {
    ...state,
    ...next,
    status: "running",
    stepStartedAt: control.now,
    extended: false,
    alerted: [],
    target,
    statusWhy: why,
    history: record(state, control, "promote", why, target),
  };
  return { action: "promote", newState, target, why };
}

/** The verdicts a person may dismiss; SAFE, RUNNING and INCONCLUSIVE hold nothing to dismiss. */
const DISMISSABLE = ["REGRESSION", "UNHEALTHY", "INSUFFICIENT"];

/**
 * Dismisses the ramp's last verdict with a reason: from now on verdicts of its state that cross no
 * other metric are read as "still collecting" for the rest of the ramp, so the step ends by time
 * and the plan's policy. A critical regression cannot be dismissed: it has rolled the ramp back.
 */
export function dismissVerdict(state: RampState, control: RampControl & { reason: string }): RampDecision {
  requireStatus(state, "dismissed", ["running", "paused"]);
  const verdict = state.lastVerdict;
  if (control.reason.trim() === "") throw new RampConflictError("a dismissal needs a reason");
  if (verdict === null || !DISMISSABLE.includes(verdict.state) || verdict.criticalHarm) {
    const what =
      verdict === null ? "no verdict yet" : `the last verdict is ${verdict.state}${verdict.criticalHarm ? " on a critical metric" : ""}`;
    throw new RampConflictError(
      `nothing to dismiss: ${what}; only a REGRESSION on a metric that is not critical, UNHEALTHY or INSUFFICIENT can be dismissed`,
    );
  }
  const crossed = verdict.crossed.length === 0 ? "" : ` (${verdict.crossed.join(", ")})`;
  const why = `${verdict.state}${crossed} dismissed by ${by(control)}: ${control.reason}`;
  const dismissal = { state: verdict.state, crossed: [...verdict.crossed], reason: control.reason, by: by(control), at: control.now };
  const newState: RampState = {
    ...state,
    dismissed: [...state.dismissed, dismissal],
    history: record(state, control, "dismiss", why, undefined, verdict),
  };
  return { action: "dismiss", newState, verdict, why };
}

/**
 * The flag was changed by someone other than the ramp: a running ramp pauses and says why, so that
 * it never overwrites a person's change at its next step. `target` is what the flag now does
 * (`rampTargetOf(flag)`; undefined when it is no longer a plain rollout). A change that leaves the
 * ramp's target as it was, or one to a ramp that is not running, changes nothing.
 */
export function noteManualChange(state: RampState, control: RampControl & { target: RampTarget | undefined }): RampDecision {
  const { target } = control;
  if (state.status !== "running") return { action: "none", newState: state, why: `the ramp is ${state.status.replace("_", " ")}` };
  if (target !== undefined && sameRampTarget(target, state.target)) {
    return { action: "none", newState: state, why: `the flag still has the ramp's ${describeRampTarget(state.target)}` };
  }
  const now = target === undefined ? "a split that is not a single rollout" : describeRampTarget(target);
  const why = `the flag was changed by hand (by ${by(control)}) to ${now} while the ramp had ${describeRampTarget(state.target)}; the ramp is paused: resume to return to its step, or abort`;
  const newState: RampState = { ...state, status: "paused", statusWhy: why, history: record(state, control, "manual-change", why) };
  return { action: "pause", newState, why };
}

function requireStatus(state: RampState, verb: string, allowed: readonly RampState["status"][]): void {
  if (!allowed.includes(state.status)) {
    throw new RampConflictError(`the ramp is ${state.status.replace("_", " ")}; only a ${allowed.join(" or ")} ramp can be ${verb}`);
  }
}

function by(control: RampControl): string {
  return control.by ?? "manual";
}

function because(control: RampControl): string {
  return control.reason === undefined || control.reason === "" ? "" : `: ${control.reason}`;
}

function record(
  state: RampState,
  control: RampControl,
  kind: RampEvent["kind"],
  why: string,
  target?: RampTarget,
  verdict?: RampState["lastVerdict"],
): RampEvent[] {
  const event: RampEvent = {
    at: control.now,
    kind,
    phase: state.phase,
    step: state.step,
    target: target ?? state.target,
    by: by(control),
    why,
  };
  if (verdict) event.verdict = verdict;
  return withEvent(state.history, event);
}
