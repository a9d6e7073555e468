import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nextRampAction, rollbackTarget } from "./next-ramp-action.js";
import { planArb, type RampEventScript, scriptArb, verdictArb } from "./ramp.arbitraries.js";
import {
  abortRamp,
  dismissVerdict,
  noteManualChange,
  pauseRamp,
  promoteRamp,
  RampConflictError,
  resumeRamp,
  startRamp,
} from "./ramp-controls.js";
import type { RampDecision } from "./ramp-decision.js";
import type { RampPlan } from "./ramp-plan.js";
import { nextRampPosition, parseRampState, type RampState, rampServedPercentage, rampTargetAt } from "./ramp-state.js";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

interface Transition {
  event: RampEventScript;
  now: number;
  before: RampState;
  /** Undefined when a manual control was refused (RampConflictError). */
  decision: RampDecision | undefined;
}

function apply(plan: RampPlan, state: RampState, event: RampEventScript, now: number): RampDecision {
  switch (event.kind) {
    case "verdict":
      return nextRampAction(plan, state, event.verdict, now);
    case "pause":
      return pauseRamp(state, { now });
    case "resume":
      return resumeRamp(plan, state, { now });
    case "promote":
      return promoteRamp(plan, state, { now });
    case "abort":
      return abortRamp(state, { now });
    case "dismiss":
      return dismissVerdict(state, { now, reason: "checked by hand" });
    case "manual":
      return noteManualChange(state, { now, target: event.target });
  }
}

/** Runs a ramp of `plan` through `script`, keeping every transition. */
function run(plan: RampPlan, script: RampEventScript[]): { start: RampState; transitions: Transition[] } {
  const start = startRamp(plan, { now: T0 }).newState;
  let state = start;
  let now = T0;
  const transitions: Transition[] = [];
  for (const event of script) {
    now += event.after * MINUTE;
    let decision: RampDecision | undefined;
    try {
      decision = apply(plan, state, event, now);
    } catch (error) {
      if (!(error instanceof RampConflictError)) throw error;
    }
    transitions.push({ event, now, before: state, decision });
    if (decision) state = decision.newState;
  }
  return { start, transitions };
}

const lives = fc.tuple(planArb, scriptArb).map(([plan, script]) => ({ plan, ...run(plan, script) }));
const isStep = (plan: RampPlan, state: RampState) => rampTargetAt(plan, state);

describe("ramp properties", () => {
  it("the percentage served from dark never decreases except by a rollback or an abort", () => {
    fc.assert(
      fc.property(lives, ({ transitions }) => {
        for (const { before, decision } of transitions) {
          if (decision?.target === undefined || decision.action === "rollback" || decision.action === "abort") continue;
          expect(rampServedPercentage(decision.target)).toBeGreaterThanOrEqual(rampServedPercentage(before.target));
        }
      }),
    );
  });

  it("a rollback always ends at 0 or at the last safe step, and ends the ramp", () => {
    fc.assert(
      fc.property(lives, ({ plan, transitions }) => {
        for (const { before, decision } of transitions) {
          if (decision?.action !== "rollback") continue;
          const expected =
            plan.rollbackTo === "last-safe" && before.lastSafe !== null
              ? rampTargetAt(plan, before.lastSafe)
              : { phase: before.phase, percentage: 0 };
          expect(decision.target).toEqual(expected);
          expect(decision.target).toEqual(rollbackTarget(plan, before));
          expect(decision.newState.status).toBe("rolled_back");
          expect(decision.alert).toBeDefined();
        }
      }),
    );
  });

  it("a ramp that is not running never changes the flag on a verdict or a hand change", () => {
    fc.assert(
      fc.property(lives, ({ transitions }) => {
        for (const { before, event, decision } of transitions) {
          if (before.status === "running" || (event.kind !== "verdict" && event.kind !== "manual")) continue;
          expect(decision?.action).toBe("none");
          expect(decision?.target).toBeUndefined();
          expect(decision?.alert).toBeUndefined();
          expect({ ...decision?.newState, lastVerdict: null }).toEqual({ ...before, lastVerdict: null });
        }
      }),
    );
  });

  it("a ramp completes only at its last step", () => {
    fc.assert(
      fc.property(lives, ({ plan, transitions }) => {
        for (const { before, decision } of transitions) {
          if (decision?.newState.status !== "completed" || before.status === "completed") continue;
          expect(nextRampPosition(plan, before)).toBeUndefined();
          expect(before.phase).toBe("serve");
          expect(before.step).toBe(plan.steps.length - 1);
        }
      }),
    );
  });

  it("time below the step's minimum never advances, and warm-up minutes are never acted on", () => {
    fc.assert(
      fc.property(lives, ({ plan, transitions }) => {
        for (const { before, event, decision, now } of transitions) {
          if (event.kind !== "verdict" || before.status !== "running") continue;
          const elapsed = (now - before.stepStartedAt) / MINUTE;
          if (elapsed < plan.minStep) expect(["advance", "complete"]).not.toContain(decision?.action);
          if (elapsed < plan.warmup) expect(decision?.action).toBe("none");
        }
      }),
    );
  });

  it("a critical regression after warm-up on a running ramp always rolls back", () => {
    fc.assert(
      fc.property(lives, fc.integer({ min: 0, max: 500 }), ({ plan, transitions, start }, minutes) => {
        const last = transitions.at(-1);
        const state = last?.decision?.newState ?? last?.before ?? start;
        fc.pre(state.status === "running");
        const now = state.stepStartedAt + (plan.warmup + minutes / 10) * MINUTE;
        const decision = nextRampAction(plan, state, { state: "REGRESSION", criticalHarm: true, why: "errors 3 % vs 1 %" }, now);
        expect(decision.action).toBe("rollback");
        expect(decision.alert?.severity).toBe("page");
      }),
    );
  });

  it("the flag moves exactly when a decision has a target, and only to a step, 0 or a rollback target", () => {
    fc.assert(
      fc.property(lives, ({ plan, transitions }) => {
        for (const { before, decision } of transitions) {
          if (!decision) continue;
          expect(decision.newState.target).toEqual(decision.target ?? before.target);
          if (decision.target === undefined) continue;
          const atStep = decision.target.percentage === isStep(plan, decision.newState).percentage;
          expect(atStep || decision.target.percentage === 0 || decision.action === "rollback").toBe(true);
        }
      }),
    );
  });

  it("a finished ramp stays finished", () => {
    fc.assert(
      fc.property(lives, ({ transitions }) => {
        for (const { before, decision } of transitions) {
          if (before.status !== "completed" && before.status !== "rolled_back" && before.status !== "aborted") continue;
          if (decision) {
            expect(decision.action).toBe("none");
            expect(decision.newState).toBe(before);
          }
        }
      }),
    );
  });

  it("every state is plain JSON that reads back against its plan, and every change is in the history", () => {
    fc.assert(
      fc.property(lives, ({ plan, transitions }) => {
        for (const { before, decision } of transitions) {
          if (!decision) continue;
          expect(parseRampState(JSON.parse(JSON.stringify(decision.newState)), plan)).toEqual(decision.newState);
          const added = decision.newState.history.length - before.history.length;
          if (decision.action === "none") expect(added).toBe(0);
          else if (decision.action !== "hold") expect(added).toBe(1);
        }
      }),
    );
  });

  it("never throws on a verdict, whatever the state and the clock", () => {
    fc.assert(
      fc.property(lives, verdictArb, fc.double({ min: -1e12, max: 1e13, noNaN: true }), ({ plan, transitions, start }, verdict, now) => {
        const state = transitions.at(-1)?.decision?.newState ?? start;
        expect(() => nextRampAction(plan, state, verdict, now)).not.toThrow();
      }),
    );
  });
});
