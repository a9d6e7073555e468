import { describe, expect, it } from "vitest";
import { nextRampAction } from "./next-ramp-action.js";
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
import { parseRampPlan } from "./ramp-plan.js";
import { type RampState, RampStateSchema, type RampStatus, rampTargetAt } from "./ramp-state.js";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);
const at = (minute: number) => T0 + minute * MINUTE;
const plan = parseRampPlan({});
const started = startRamp(plan, { now: T0, by: "alice" }).newState;
const stateAt = (step: number, overrides: Partial<RampState> = {}): RampState => ({
  ...started,
  step,
  target: rampTargetAt(plan, { phase: "serve", step }),
  ...overrides,
});

function conflict(run: () => unknown): RampConflictError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RampConflictError);
    expect((error as RampConflictError).status).toBe(409);
    expect((error as RampConflictError).code).toBe("RAMP_CONFLICT");
    return error as RampConflictError;
  }
  throw new Error("expected a RampConflictError");
}

describe("startRamp", () => {
  it("starts at the first serve step", () => {
    const decision = startRamp(plan, { now: T0, by: "alice", reason: "release 4.2" });
    expect(decision).toMatchObject({ action: "start", target: { phase: "serve", percentage: 1 } });
    expect(decision.newState).toEqual({
      status: "running",
      phase: "serve",
      step: 0,
      stepStartedAt: T0,
      extended: false,
      lastSafe: null,
      target: { phase: "serve", percentage: 1 },
      alerted: [],
      dismissed: [],
      lastVerdict: null,
      statusWhy: "ramp started at serve step 1 of 5 (1 %): 1 % served from dark: release 4.2",
      history: [
        {
          at: T0,
          kind: "start",
          phase: "serve",
          step: 0,
          target: { phase: "serve", percentage: 1 },
          by: "alice",
          why: "ramp started at serve step 1 of 5 (1 %): 1 % served from dark: release 4.2",
        },
      ],
    });
    expect(RampStateSchema.parse(JSON.parse(JSON.stringify(decision.newState)))).toEqual(decision.newState);
  });

  it("starts with the first shadow step when the plan has a shadow phase", () => {
    const decision = startRamp(parseRampPlan({ shadowSteps: [1, 10, 100] }), { now: T0 });
    expect(decision.target).toEqual({ phase: "shadow", percentage: 1 });
    expect(decision.why).toBe("ramp started at shadow step 1 of 3 (1 %): 1 % mirrored to dark");
  });
});

describe("pauseRamp and resumeRamp", () => {
  it("pause stops the ramp where it is; resume starts the step over at its own target", () => {
    const paused = pauseRamp(stateAt(2), { now: at(5), by: "bob", reason: "incident elsewhere" });
    expect(paused.action).toBe("pause");
    expect(paused.target).toBeUndefined();
    expect(paused.newState).toMatchObject({
      status: "paused",
      step: 2,
      statusWhy: "paused by bob at 25 % served from dark: incident elsewhere",
    });
    expect(paused.newState.history.at(-1)).toMatchObject({ kind: "pause", by: "bob", at: at(5) });

    const resumed = resumeRamp(plan, { ...paused.newState, alerted: ["unhealthy"], extended: true }, { now: at(90), by: "bob" });
    expect(resumed.action).toBe("resume");
    expect(resumed.target).toEqual({ phase: "serve", percentage: 25 });
    expect(resumed.newState).toMatchObject({ status: "running", step: 2, stepStartedAt: at(90), extended: false, alerted: [] });
    // The step starts over: warm-up again, and the minimum time counts from the resume.
    expect(nextRampAction(plan, resumed.newState, { state: "SAFE", why: "" }, at(91)).action).toBe("none");
    expect(nextRampAction(plan, resumed.newState, { state: "SAFE", why: "" }, at(95)).action).toBe("hold");
    expect(nextRampAction(plan, resumed.newState, { state: "SAFE", why: "" }, at(100)).action).toBe("advance");
  });

  it("pausing a paused ramp changes nothing", () => {
    const paused = stateAt(1, { status: "paused" });
    expect(pauseRamp(paused, { now: at(1) })).toEqual({ action: "none", newState: paused, why: "the ramp is paused already" });
  });

  it.each<RampStatus>(["completed", "rolled_back", "aborted"])("a %s ramp cannot be paused", (status) => {
    expect(conflict(() => pauseRamp(stateAt(1, { status }), { now: at(1) })).message).toBe(
      `the ramp is ${status.replace("_", " ")}; only a running ramp can be paused`,
    );
  });

  it.each<RampStatus>(["running", "completed", "rolled_back", "aborted"])("a %s ramp cannot be resumed", (status) => {
    expect(conflict(() => resumeRamp(plan, stateAt(1, { status }), { now: at(1) })).message).toBe(
      `the ramp is ${status.replace("_", " ")}; only a paused ramp can be resumed`,
    );
  });
});

describe("abortRamp", () => {
  it("ends the ramp and sets the flag to 0", () => {
    const decision = abortRamp(stateAt(3), { now: at(5), by: "carol", reason: "wrong build" });
    expect(decision).toMatchObject({ action: "abort", target: { phase: "serve", percentage: 0 } });
    expect(decision.newState).toMatchObject({ status: "aborted", target: { phase: "serve", percentage: 0 } });
    expect(decision.why).toBe("aborted by carol; the flag is set to 0 % (off): wrong build");
  });

  it("leaves the flag when asked to", () => {
    const decision = abortRamp(stateAt(3, { status: "paused" }), { now: at(5), keepFlag: true });
    expect(decision.target).toBeUndefined();
    expect(decision.newState).toMatchObject({ status: "aborted", target: { phase: "serve", percentage: 50 } });
    expect(decision.why).toBe("aborted by manual; the flag stays at 50 % served from dark");
  });

  it.each<RampStatus>(["completed", "rolled_back", "aborted"])("a %s ramp cannot be aborted", (status) => {
    conflict(() => abortRamp(stateAt(1, { status }), { now: at(1) }));
  });
});

describe("promoteRamp", () => {
  it("skips to the next step now, without counting the skipped step as safe", () => {
    const decision = promoteRamp(plan, stateAt(1, { alerted: ["regression"], extended: true, lastSafe: { phase: "serve", step: 0 } }), {
      now: at(3),
      by: "dave",
    });
    expect(decision).toMatchObject({ action: "promote", target: { phase: "serve", percentage: 25 } });
    expect(decision.newState).toMatchObject({
      status: "running",
      step: 2,
      stepStartedAt: at(3),
      alerted: [],
      extended: false,
      lastSafe: { phase: "serve", step: 0 },
    });
    expect(decision.why).toBe("promoted by dave to serve step 3 of 5 (25 %): 25 % served from dark");
  });

  it("runs a paused ramp again", () => {
    expect(promoteRamp(plan, stateAt(1, { status: "paused" }), { now: at(3) }).newState.status).toBe("running");
  });

  it("completes from the last step, leaving the flag", () => {
    const decision = promoteRamp(plan, stateAt(4), { now: at(3) });
    expect(decision.action).toBe("complete");
    expect(decision.target).toBeUndefined();
    expect(decision.newState.status).toBe("completed");
  });

  it("crosses from the shadow phase to serving", () => {
    const shadowPlan = parseRampPlan({ shadowSteps: [10, 100], steps: [5, 100] });
    const state = { ...startRamp(shadowPlan, { now: T0 }).newState, step: 1, target: { phase: "shadow" as const, percentage: 100 } };
    expect(promoteRamp(shadowPlan, state, { now: at(1) }).target).toEqual({ phase: "serve", percentage: 5 });
  });

  it.each<RampStatus>(["completed", "rolled_back", "aborted"])("a %s ramp cannot be promoted", (status) => {
    conflict(() => promoteRamp(plan, stateAt(1, { status }), { now: at(1) }));
  });
});

describe("dismissVerdict", () => {
  const regression = { state: "REGRESSION" as const, criticalHarm: false, why: "mismatches 4 % vs 1 %", crossed: ["mismatches"] };

  it("records the dismissal with its reason in the state and the history", () => {
    const decision = dismissVerdict(stateAt(2, { lastVerdict: regression }), { now: at(7), by: "erin", reason: "timestamps, known" });
    expect(decision.action).toBe("dismiss");
    expect(decision.target).toBeUndefined();
    expect(decision.newState.dismissed).toEqual([
      { state: "REGRESSION", crossed: ["mismatches"], reason: "timestamps, known", by: "erin", at: at(7) },
    ]);
    expect(decision.newState.history.at(-1)).toMatchObject({
      kind: "dismiss",
      by: "erin",
      verdict: regression,
      why: "REGRESSION (mismatches) dismissed by erin: timestamps, known",
    });
    // From now on that verdict is read as "still collecting".
    expect(nextRampAction(plan, decision.newState, regression, at(20)).action).toBe("none");
  });

  it("works on a paused ramp", () => {
    expect(dismissVerdict(stateAt(2, { status: "paused", lastVerdict: regression }), { now: at(7), reason: "r" }).action).toBe("dismiss");
  });

  it.each([
    ["no verdict yet", null, "nothing to dismiss: no verdict yet"],
    ["SAFE", { ...regression, state: "SAFE" as const }, "nothing to dismiss: the last verdict is SAFE"],
    [
      "a critical regression",
      { ...regression, criticalHarm: true },
      "nothing to dismiss: the last verdict is REGRESSION on a critical metric",
    ],
  ])("refuses %s", (_, lastVerdict, message) => {
    expect(conflict(() => dismissVerdict(stateAt(2, { lastVerdict }), { now: at(7), reason: "r" })).message).toContain(message);
  });

  it("needs a reason", () => {
    expect(conflict(() => dismissVerdict(stateAt(2, { lastVerdict: regression }), { now: at(7), reason: "  " })).message).toBe(
      "a dismissal needs a reason",
    );
  });
});

describe("noteManualChange", () => {
  it("a hand change of the percentage pauses a running ramp and says why", () => {
    const decision = noteManualChange(stateAt(2), { now: at(8), by: "frank", target: { phase: "serve", percentage: 40 } });
    expect(decision.action).toBe("pause");
    expect(decision.target).toBeUndefined();
    expect(decision.newState.status).toBe("paused");
    expect(decision.why).toBe(
      "the flag was changed by hand (by frank) to 40 % served from dark while the ramp had 25 % served from dark; the ramp is paused: resume to return to its step, or abort",
    );
    expect(decision.newState.statusWhy).toBe(decision.why);
    expect(decision.newState.history.at(-1)).toMatchObject({ kind: "manual-change", by: "frank", at: at(8) });
  });

  it("a flag that is no longer a single rollout pauses too", () => {
    expect(noteManualChange(stateAt(2), { now: at(8), target: undefined }).why).toContain("to a split that is not a single rollout");
  });

  it("a change that leaves the ramp's target changes nothing", () => {
    const state = stateAt(2);
    expect(noteManualChange(state, { now: at(8), target: { phase: "serve", percentage: 25 } })).toMatchObject({
      action: "none",
      newState: state,
    });
  });

  it("0 % is 0 % in either phase", () => {
    const state = stateAt(2, { target: { phase: "shadow", percentage: 0 } });
    expect(noteManualChange(state, { now: at(8), target: { phase: "serve", percentage: 0 } }).action).toBe("none");
  });

  it.each<RampStatus>(["paused", "completed", "rolled_back", "aborted"])("a %s ramp is not affected", (status) => {
    const state = stateAt(2, { status });
    expect(noteManualChange(state, { now: at(8), target: { phase: "serve", percentage: 90 } })).toMatchObject({
      action: "none",
      newState: state,
    });
  });
});
