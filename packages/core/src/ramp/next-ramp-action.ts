import type { RampAlert, RampAlertSeverity, RampDecision } from "./ramp-decision.js";
import type { RampPlan } from "./ramp-plan.js";
import {
  describeRampPosition,
  describeRampTarget,
  nextRampPosition,
  type RampAlertKind,
  type RampDismissal,
  type RampEvent,
  type RampPosition,
  type RampState,
  type RampTarget,
  type RampVerdict,
  type RampVerdictInput,
  rampTargetAt,
  withEvent,
} from "./ramp-state.js";

/** The production minute; tests and the demo run ramps on shorter ones (a server setting). */
export const DEFAULT_MINUTE_MS = 60_000;

export interface RampClockOptions {
  /** How long a minute of the plan lasts, in milliseconds (default 60 000). */
  minuteMs?: number;
}

/**
 * What a running ramp does with this minute's verdict (docs/architecture.md#the-judge, the States table). Pure: `now`
 * (epoch milliseconds) is the only clock, and the state is never changed in place.
 *
 * - warm-up minutes after a step change: nothing, whatever the verdict;
 * - SAFE once the step's minimum time passed: advance (or complete after the last step);
 * - REGRESSION with a critical metric: roll back (to 0, or the last SAFE step) and page;
 *   on other metrics: hold and file a ticket;
 * - INSUFFICIENT: hold; past the maximum time extend the step once, past that alert;
 * - UNHEALTHY: hold and alert;
 * - RUNNING or INCONCLUSIVE past the maximum time: the plan's `onInconclusive` policy;
 * - a paused, completed, rolled back or aborted ramp: nothing.
 *
 * Each alert kind is raised once per step; later minutes of the same condition hold quietly.
 *
 * @example
 * const { action, target, newState } = nextRampAction(plan, state, { state: "SAFE", why: "…" }, Date.now());
 * if (target) await flags.update(rampFlag(flag, target), { actor: `ramp:${id}` });
 */
export function nextRampAction(
  plan: RampPlan,
  state: RampState,
  verdictInput: RampVerdictInput,
  now: number,
  options: RampClockOptions = {},
): RampDecision {
  const verdict: RampVerdict = {
    state: verdictInput.state,
    criticalHarm: verdictInput.criticalHarm ?? false,
    why: verdictInput.why,
    crossed: [...(verdictInput.crossed ?? [])],
  };
  if (state.status !== "running") {
    // A paused ramp still remembers the verdict, so that a person can dismiss it before resuming.
    const newState = state.status === "paused" ? { ...state, lastVerdict: verdict } : state;
    return { action: "none", newState, verdict, why: `the ramp is ${state.status.replace("_", " ")}; verdicts are not acted on` };
  }
  const minuteMs = options.minuteMs ?? DEFAULT_MINUTE_MS;
  const step = new Step(plan, { ...state, lastVerdict: verdict }, verdict, now);
  const elapsed = (now - state.stepStartedAt) / minuteMs;
  if (elapsed < plan.warmup) {
    return step.none(
      `warm-up: minute ${minutes(elapsed)} of ${minutes(plan.warmup)} after the step change; ${verdict.state} is shown, not acted on`,
    );
  }
  const dismissal = state.dismissed.find((d) => covers(d, verdict));
  // A dismissed verdict is read as "still collecting": the step then ends by time and policy.
  const effective = dismissal === undefined ? verdict.state : "RUNNING";
  const deadline = plan.maxStep * (state.extended ? 2 : 1);
  const age = `${minutes(elapsed)} minutes into ${describeRampPosition(plan, step.position)}`;
  switch (effective) {
    case "REGRESSION":
      if (verdict.criticalHarm) return step.rollback("page", "regression", `${verdict.why}; a critical metric regressed`);
      return step.alertOnce("ticket", "regression", `${verdict.why}; the regression is on a metric that is not critical: holding`);
    case "UNHEALTHY":
      return step.alertOnce("ticket", "unhealthy", `${verdict.why}; the evidence cannot be trusted: holding`);
    case "SAFE":
      if (elapsed < plan.minStep) return step.hold(`SAFE, but only ${age} (minimum ${minutes(plan.minStep)}): holding`);
      return step.advance(true, `SAFE after ${age}: ${verdict.why}`);
    case "INSUFFICIENT":
      if (elapsed < deadline) return step.hold(`${verdict.why}; not enough evidence yet, ${age}: holding`);
      if (!state.extended) {
        return step.extend(
          `${verdict.why}; not enough evidence after ${age} (maximum ${minutes(plan.maxStep)}): the step is extended once, to ${minutes(2 * plan.maxStep)} minutes`,
        );
      }
      return step.alertOnce(
        "ticket",
        "insufficient",
        `${verdict.why}; still not enough evidence after ${age}, extended once already: holding`,
      );
    case "RUNNING":
    case "INCONCLUSIVE": {
      const dismissed = dismissal === undefined ? "" : ` (${verdict.state} dismissed: ${dismissal.reason})`;
      if (elapsed < deadline) return step.none(`collecting evidence, ${age}${dismissed}`);
      const why = `neither harm nor safety shown after ${age} (maximum ${minutes(deadline)})${dismissed}`;
      if (plan.onInconclusive === "advance") return step.advance(false, `${why}; the plan advances on INCONCLUSIVE`);
      if (plan.onInconclusive === "rollback") return step.rollback("ticket", "inconclusive", `${why}; the plan rolls back on INCONCLUSIVE`);
      return step.alertOnce("ticket", "inconclusive", `${why}; the plan holds on INCONCLUSIVE: promote, abort or wait`);
    }
  }
  // Only a caller that skipped the types gets here; holding is the one answer that cannot hurt.
  return step.hold(`unknown verdict state ${JSON.stringify(verdict.state)}: holding`);
}

/** A dismissal covers a verdict of its state whose crossed metrics it all names; a critical harm is never covered. */
function covers(dismissal: RampDismissal, verdict: RampVerdict): boolean {
  return (
    !verdict.criticalHarm && dismissal.state === verdict.state && verdict.crossed.every((metric) => dismissal.crossed.includes(metric))
  );
}

/** Builds the decisions for one minute of one step; `state` already remembers the verdict. */
class Step {
  readonly position: RampPosition;

  constructor(
    private readonly plan: RampPlan,
    private readonly state: RampState,
    private readonly verdict: RampVerdict,
    private readonly now: number,
  ) {
    this.position = { phase: state.phase, step: state.step };
  }

  none(why: string): RampDecision {
    return { action: "none", newState: this.state, verdict: this.verdict, why };
  }

  hold(why: string): RampDecision {
    return { action: "hold", newState: this.state, verdict: this.verdict, why };
  }

  extend(why: string): RampDecision {
    const newState = { ...this.state, extended: true, history: this.record("extend", this.state.target, why) };
    return { action: "hold", newState, verdict: this.verdict, why };
  }

  alertOnce(severity: RampAlertSeverity, kind: RampAlertKind, why: string): RampDecision {
    if (this.state.alerted.includes(kind)) return this.hold(`${why} (alerted on this step already)`);
    const alert: RampAlert = { severity, kind, why };
    const newState = { ...this.state, alerted: [...this.state.alerted, kind], history: this.record("alert", this.state.target, why) };
    return { action: "alert", newState, alert, verdict: this.verdict, why };
  }

  advance(safe: boolean, why: string): RampDecision {
    const lastSafe = safe ? this.position : this.state.lastSafe;
    const next = nextRampPosition(this.plan, this.position);
    if (next === undefined) {
      const done = `${why} → the ramp is complete at ${describeRampTarget(this.state.target)}`;
      const newState: RampState = {
        ...this.state,
        status: "completed",
        lastSafe,
        statusWhy: done,
        history: this.record("complete", this.state.target, done),
      };
      return { action: "complete", newState, verdict: this.verdict, why: done };
    }
    const target = rampTargetAt(this.plan, next);
    const moved = `${why} → ${describeRampPosition(this.plan, next)}: ${describeRampTarget(target)}`;
    const newState: RampState = {
      ...this.state,
      ...next,
      stepStartedAt: this.now,
      extended: false,
      alerted: [],
      lastSafe,
      target,
      history: this.record("advance", target, moved),
    };
    return { action: "advance", newState, target, verdict: this.verdict, why: moved };
  }

  rollback(severity: RampAlertSeverity, kind: RampAlertKind, why: string): RampDecision {
    const target = rollbackTarget(this.plan, this.state);
    const done = `${why} → rolled back from ${describeRampPosition(this.plan, this.position)} to ${describeRampTarget(target)}`;
    const newState: RampState = {
      ...this.state,
      status: "rolled_back",
      target,
      statusWhy: done,
      history: this.record("rollback", target, done),
    };
    return { action: "rollback", newState, target, alert: { severity, kind, why: done }, verdict: this.verdict, why: done };
  }

  private record(kind: RampEvent["kind"], target: RampTarget, why: string): RampEvent[] {
    return withEvent(this.state.history, { at: this.now, kind, ...this.position, target, verdict: this.verdict, by: "ramp", why });
  }
}

/** Where a rollback leaves the flag: 0, or the last SAFE step when the plan says so and there is one. */
export function rollbackTarget(plan: RampPlan, state: Pick<RampState, "phase" | "lastSafe">): RampTarget {
  if (plan.rollbackTo === "last-safe" && state.lastSafe !== null) return rampTargetAt(plan, state.lastSafe);
  return { phase: state.phase, percentage: 0 };
}

/** 12 → "12", 12.345 → "12.3". */
function minutes(n: number): string {
  return String(Math.round(n * 10) / 10);
}
