import { describe, expect, it } from "vitest";
import { nextRampAction } from "./next-ramp-action.js";
import { startRamp } from "./ramp-controls.js";
import type { RampAction, RampAlert } from "./ramp-decision.js";
import { parseRampPlan, type RampPlanInput } from "./ramp-plan.js";
import type { RampPosition, RampState, RampTarget, RampVerdictInput, RampVerdictState } from "./ramp-state.js";
import { rampTargetAt } from "./ramp-state.js";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);
const at = (minute: number) => T0 + minute * MINUTE;

const verdict = (state: RampVerdictState, extra: Partial<RampVerdictInput> = {}): RampVerdictInput => ({
  state,
  why: `judge: ${state}`,
  ...extra,
});

/** A running ramp of `planInput` at serve step `step` (index), started at T0, with fields replaced. */
function rampAt(planInput: RampPlanInput, position: RampPosition, overrides: Partial<RampState> = {}) {
  const plan = parseRampPlan(planInput);
  const state: RampState = { ...startRamp(plan, { now: T0 }).newState, ...position, target: rampTargetAt(plan, position), ...overrides };
  return { plan, state };
}

const serve = (step: number): RampPosition => ({ phase: "serve", step });
const served = (percentage: number): RampTarget => ({ phase: "serve", percentage });

interface Expected {
  action: RampAction;
  target?: RampTarget;
  alert?: Pick<RampAlert, "severity" | "kind">;
  status?: RampState["status"];
  position?: RampPosition;
  lastSafe?: RampPosition | null;
  extended?: boolean;
}

type Row = [string, RampPlanInput, RampPosition, Partial<RampState>, RampVerdictInput, number, Expected];

// Default plan: steps 1, 5, 25, 50, 100; minimum 10, maximum 60, warm-up 2 minutes; hold on INCONCLUSIVE; roll back to 0.
const rows: Row[] = [
  // Warm-up: never judged, whatever the verdict.
  [
    "warm-up: a critical REGRESSION is not acted on",
    {},
    serve(2),
    {},
    verdict("REGRESSION", { criticalHarm: true }),
    1.9,
    { action: "none" },
  ],
  ["warm-up: SAFE is not acted on", { minStep: 0 }, serve(2), {}, verdict("SAFE"), 1, { action: "none" }],
  ["warm-up: UNHEALTHY is not acted on", {}, serve(2), {}, verdict("UNHEALTHY"), 0, { action: "none" }],
  // RUNNING.
  ["RUNNING: collecting", {}, serve(1), {}, verdict("RUNNING"), 30, { action: "none", position: serve(1) }],
  // SAFE.
  ["SAFE before the minimum holds", {}, serve(1), {}, verdict("SAFE"), 9.9, { action: "hold", position: serve(1), lastSafe: null }],
  [
    "SAFE at the minimum advances and marks the step safe",
    {},
    serve(1),
    {},
    verdict("SAFE"),
    10,
    { action: "advance", target: served(25), position: serve(2), lastSafe: serve(1), status: "running" },
  ],
  [
    "SAFE on the last step completes and leaves the flag",
    {},
    serve(4),
    {},
    verdict("SAFE"),
    45,
    { action: "complete", status: "completed", position: serve(4), lastSafe: serve(4) },
  ],
  [
    "SAFE on a last step below 100 completes there",
    { steps: [1, 10] },
    serve(1),
    {},
    verdict("SAFE"),
    10,
    { action: "complete", status: "completed" },
  ],
  [
    "SAFE on the last shadow step starts serving from dark at the first serve step",
    { shadowSteps: [1, 10, 100] },
    { phase: "shadow", step: 2 },
    {},
    verdict("SAFE"),
    10,
    { action: "advance", target: served(1), position: serve(0), lastSafe: { phase: "shadow", step: 2 } },
  ],
  [
    "SAFE in the shadow phase advances the mirror",
    { shadowSteps: [1, 10, 100] },
    { phase: "shadow", step: 0 },
    {},
    verdict("SAFE"),
    10,
    { action: "advance", target: { phase: "shadow", percentage: 10 }, position: { phase: "shadow", step: 1 } },
  ],
  // REGRESSION.
  [
    "critical REGRESSION rolls back to 0 and pages",
    {},
    serve(2),
    { lastSafe: serve(1) },
    verdict("REGRESSION", { criticalHarm: true }),
    5,
    { action: "rollback", target: served(0), alert: { severity: "page", kind: "regression" }, status: "rolled_back" },
  ],
  [
    "critical REGRESSION rolls back to the last safe step when the plan says so",
    { rollbackTo: "last-safe" },
    serve(3),
    { lastSafe: serve(2) },
    verdict("REGRESSION", { criticalHarm: true }),
    5,
    { action: "rollback", target: served(25), alert: { severity: "page", kind: "regression" }, status: "rolled_back" },
  ],
  [
    "critical REGRESSION with no safe step yet rolls back to 0 even under last-safe",
    { rollbackTo: "last-safe" },
    serve(1),
    { lastSafe: null },
    verdict("REGRESSION", { criticalHarm: true }),
    5,
    { action: "rollback", target: served(0), alert: { severity: "page", kind: "regression" }, status: "rolled_back" },
  ],
  [
    "critical REGRESSION while serving returns to the last safe shadow step",
    { rollbackTo: "last-safe", shadowSteps: [1, 10, 100] },
    serve(0),
    { lastSafe: { phase: "shadow", step: 2 } },
    verdict("REGRESSION", { criticalHarm: true }),
    5,
    {
      action: "rollback",
      target: { phase: "shadow", percentage: 100 },
      alert: { severity: "page", kind: "regression" },
      status: "rolled_back",
    },
  ],
  [
    "REGRESSION on a metric that is not critical holds and files a ticket",
    {},
    serve(2),
    {},
    verdict("REGRESSION", { crossed: ["mismatches"] }),
    5,
    { action: "alert", alert: { severity: "ticket", kind: "regression" }, status: "running", position: serve(2) },
  ],
  [
    "REGRESSION that is not critical, alerted already on this step, holds quietly",
    {},
    serve(2),
    { alerted: ["regression"] },
    verdict("REGRESSION"),
    6,
    { action: "hold", status: "running" },
  ],
  [
    "REGRESSION that is not critical past the maximum still holds (no policy, no advance)",
    { onInconclusive: "advance" },
    serve(2),
    { alerted: ["regression"] },
    verdict("REGRESSION"),
    500,
    { action: "hold", position: serve(2) },
  ],
  // UNHEALTHY.
  [
    "UNHEALTHY holds and alerts",
    {},
    serve(1),
    {},
    verdict("UNHEALTHY"),
    20,
    { action: "alert", alert: { severity: "ticket", kind: "unhealthy" } },
  ],
  ["UNHEALTHY alerted already holds quietly", {}, serve(1), { alerted: ["unhealthy"] }, verdict("UNHEALTHY"), 21, { action: "hold" }],
  ["UNHEALTHY past the maximum still holds", {}, serve(1), { alerted: ["unhealthy"] }, verdict("UNHEALTHY"), 200, { action: "hold" }],
  // INSUFFICIENT.
  ["INSUFFICIENT before the maximum holds", {}, serve(0), {}, verdict("INSUFFICIENT"), 59, { action: "hold", extended: false }],
  ["INSUFFICIENT at the maximum extends the step once", {}, serve(0), {}, verdict("INSUFFICIENT"), 60, { action: "hold", extended: true }],
  [
    "INSUFFICIENT in the extension holds",
    {},
    serve(0),
    { extended: true },
    verdict("INSUFFICIENT"),
    119,
    { action: "hold", extended: true },
  ],
  [
    "INSUFFICIENT past the extension alerts",
    {},
    serve(0),
    { extended: true },
    verdict("INSUFFICIENT"),
    120,
    { action: "alert", alert: { severity: "ticket", kind: "insufficient" }, status: "running", position: serve(0) },
  ],
  [
    "INSUFFICIENT alerted already holds quietly",
    {},
    serve(0),
    { extended: true, alerted: ["insufficient"] },
    verdict("INSUFFICIENT"),
    180,
    { action: "hold" },
  ],
  // INCONCLUSIVE, and RUNNING past the maximum (the ramp's clock decides, not the judge's).
  ["INCONCLUSIVE before the ramp's maximum: nothing yet", {}, serve(1), {}, verdict("INCONCLUSIVE"), 59, { action: "none" }],
  [
    "INCONCLUSIVE at the maximum, policy hold: alert",
    {},
    serve(1),
    {},
    verdict("INCONCLUSIVE"),
    60,
    { action: "alert", alert: { severity: "ticket", kind: "inconclusive" }, position: serve(1) },
  ],
  [
    "INCONCLUSIVE, policy hold, alerted already: hold",
    {},
    serve(1),
    { alerted: ["inconclusive"] },
    verdict("INCONCLUSIVE"),
    61,
    { action: "hold" },
  ],
  [
    "RUNNING at the maximum is INCONCLUSIVE",
    {},
    serve(1),
    {},
    verdict("RUNNING"),
    60,
    { action: "alert", alert: { severity: "ticket", kind: "inconclusive" } },
  ],
  [
    "INCONCLUSIVE, policy advance: advance without marking the step safe",
    { onInconclusive: "advance" },
    serve(1),
    { lastSafe: serve(0) },
    verdict("INCONCLUSIVE"),
    60,
    { action: "advance", target: served(25), position: serve(2), lastSafe: serve(0) },
  ],
  [
    "INCONCLUSIVE on the last step, policy advance: complete",
    { onInconclusive: "advance" },
    serve(4),
    {},
    verdict("INCONCLUSIVE"),
    60,
    { action: "complete", status: "completed", lastSafe: null },
  ],
  [
    "INCONCLUSIVE, policy rollback: roll back with a ticket",
    { onInconclusive: "rollback", rollbackTo: "last-safe" },
    serve(2),
    { lastSafe: serve(1) },
    verdict("INCONCLUSIVE"),
    60,
    { action: "rollback", target: served(5), alert: { severity: "ticket", kind: "inconclusive" }, status: "rolled_back" },
  ],
  [
    "an extended step is INCONCLUSIVE only at twice the maximum",
    {},
    serve(1),
    { extended: true },
    verdict("RUNNING"),
    100,
    { action: "none" },
  ],
  // criticalHarm means nothing outside REGRESSION.
  [
    "UNHEALTHY with criticalHarm set is still only UNHEALTHY",
    {},
    serve(1),
    {},
    verdict("UNHEALTHY", { criticalHarm: true }),
    20,
    { action: "alert", alert: { severity: "ticket", kind: "unhealthy" } },
  ],
];

describe("nextRampAction: the States table", () => {
  it.each(rows)("%s", (_, planInput, position, overrides, input, minute, expected) => {
    const { plan, state } = rampAt(planInput, position, overrides);
    const before = structuredClone(state);
    const decision = nextRampAction(plan, state, input, at(minute));
    expect(state).toEqual(before); // never changed in place
    expect(decision.action).toBe(expected.action);
    expect(decision.target).toEqual(expected.target);
    if (expected.alert) expect(decision.alert).toMatchObject(expected.alert);
    else expect(decision.alert).toBeUndefined();
    const next = decision.newState;
    expect(next.status).toBe(expected.status ?? "running");
    if (expected.position) expect({ phase: next.phase, step: next.step }).toEqual(expected.position);
    if (expected.lastSafe !== undefined) expect(next.lastSafe).toEqual(expected.lastSafe);
    if (expected.extended !== undefined) expect(next.extended).toBe(expected.extended);
    expect(next.lastVerdict?.state).toBe(input.state);
    // The flag's target moves exactly when the decision says so.
    expect(next.target).toEqual(decision.target ?? state.target);
    // Every change of step, status or flag is in the history, with the verdict that caused it.
    if (decision.action !== "none" && decision.action !== "hold") {
      expect(next.history.at(-1)).toMatchObject({ at: at(minute), by: "ramp", why: decision.why, verdict: { state: input.state } });
    }
    if (decision.action === "advance") expect(next.stepStartedAt).toBe(at(minute));
    if (decision.action === "advance") expect(next.alerted).toEqual([]);
  });
});

describe("nextRampAction: details", () => {
  it("says why with numbers", () => {
    const { plan, state } = rampAt({}, serve(2), { lastSafe: serve(1) });
    const regression = verdict("REGRESSION", {
      criticalHarm: true,
      why: "dark errors 2.1 % vs 1.0 % on 2480 paired requests; evidence 41 ≥ 40",
    });
    expect(nextRampAction(plan, state, regression, at(5)).why).toBe(
      "dark errors 2.1 % vs 1.0 % on 2480 paired requests; evidence 41 ≥ 40; a critical metric regressed → rolled back from serve step 3 of 5 (25 %) to 0 % (off)",
    );
    expect(nextRampAction(plan, state, verdict("SAFE", { why: "errors within 1.5×" }), at(12)).why).toBe(
      "SAFE after 12 minutes into serve step 3 of 5 (25 %): errors within 1.5× → serve step 4 of 5 (50 %): 50 % served from dark",
    );
    expect(nextRampAction(plan, state, verdict("SAFE"), at(4)).why).toBe(
      "SAFE, but only 4 minutes into serve step 3 of 5 (25 %) (minimum 10): holding",
    );
  });

  it("an extension is recorded in the history", () => {
    const { plan, state } = rampAt({}, serve(0));
    const decision = nextRampAction(plan, state, verdict("INSUFFICIENT"), at(60));
    expect(decision.newState.history.at(-1)).toMatchObject({ kind: "extend", at: at(60), phase: "serve", step: 0 });
  });

  it("holds on a verdict state it does not know (a caller that skipped the types)", () => {
    const { plan, state } = rampAt({}, serve(1));
    const decision = nextRampAction(plan, state, { state: "PASS" as RampVerdictState, why: "" }, at(30));
    expect(decision).toMatchObject({ action: "hold", why: 'unknown verdict state "PASS": holding' });
    expect(decision.target).toBeUndefined();
  });

  it("measures time in the server's minutes", () => {
    const { plan, state } = rampAt({}, serve(0));
    const fast = { minuteMs: 100 };
    expect(nextRampAction(plan, state, verdict("SAFE"), T0 + 999, fast).action).toBe("hold");
    expect(nextRampAction(plan, state, verdict("SAFE"), T0 + 1_000, fast).action).toBe("advance");
  });

  it.each(["completed", "rolled_back", "aborted"] as const)("a %s ramp does nothing and keeps its state", (status) => {
    const { plan, state } = rampAt({}, serve(2), { status });
    const decision = nextRampAction(plan, state, verdict("REGRESSION", { criticalHarm: true }), at(30));
    expect(decision).toMatchObject({ action: "none", why: `the ramp is ${status.replace("_", " ")}; verdicts are not acted on` });
    expect(decision.newState).toBe(state);
    expect(decision.target).toBeUndefined();
  });

  it("a paused ramp does nothing but remember the verdict (so it can be dismissed)", () => {
    const { plan, state } = rampAt({}, serve(2), { status: "paused" });
    for (const state_ of ["SAFE", "REGRESSION", "INCONCLUSIVE"] as const) {
      const decision = nextRampAction(plan, state, verdict(state_, { criticalHarm: state_ === "REGRESSION" }), at(300));
      expect(decision.action).toBe("none");
      expect(decision.target).toBeUndefined();
      expect(decision.newState).toEqual({
        ...state,
        lastVerdict: { state: state_, criticalHarm: state_ === "REGRESSION", why: `judge: ${state_}`, crossed: [] },
      });
    }
  });

  describe("a dismissed verdict", () => {
    const dismissal = { state: "REGRESSION" as const, crossed: ["mismatches"], reason: "timestamps differ", by: "alice", at: at(3) };

    it("is read as RUNNING: nothing before the maximum, the policy after", () => {
      const { plan, state } = rampAt({ onInconclusive: "advance" }, serve(1), { dismissed: [dismissal] });
      const same = verdict("REGRESSION", { crossed: ["mismatches"] });
      expect(nextRampAction(plan, state, same, at(30))).toMatchObject({
        action: "none",
        why: "collecting evidence, 30 minutes into serve step 2 of 5 (5 %) (REGRESSION dismissed: timestamps differ)",
      });
      expect(nextRampAction(plan, state, same, at(60))).toMatchObject({ action: "advance", target: served(25) });
    });

    it("does not cover a metric it did not name", () => {
      const { plan, state } = rampAt({}, serve(1), { dismissed: [dismissal] });
      expect(nextRampAction(plan, state, verdict("REGRESSION", { crossed: ["mismatches", "p99"] }), at(30)).action).toBe("alert");
    });

    it("never covers a critical regression", () => {
      const { plan, state } = rampAt({}, serve(1), { dismissed: [dismissal] });
      expect(nextRampAction(plan, state, verdict("REGRESSION", { crossed: ["mismatches"], criticalHarm: true }), at(30)).action).toBe(
        "rollback",
      );
    });

    it("does not cover another state", () => {
      const { plan, state } = rampAt({}, serve(1), { dismissed: [{ ...dismissal, crossed: [] }] });
      expect(nextRampAction(plan, state, verdict("UNHEALTHY"), at(30)).action).toBe("alert");
    });
  });

  it("a whole default ramp: five SAFE steps complete it at 100 %", () => {
    const plan = parseRampPlan({});
    let { newState: state } = startRamp(plan, { now: T0 });
    const served: number[] = [state.target.percentage];
    let minute = 0;
    for (let i = 0; i < 5; i++) {
      minute += 10;
      const decision = nextRampAction(plan, state, verdict("SAFE"), at(minute));
      if (decision.target) served.push(decision.target.percentage);
      state = decision.newState;
    }
    expect(served).toEqual([1, 5, 25, 50, 100]);
    expect(state.status).toBe("completed");
    expect(state.history.map((event) => event.kind)).toEqual(["start", "advance", "advance", "advance", "advance", "complete"]);
  });
});
