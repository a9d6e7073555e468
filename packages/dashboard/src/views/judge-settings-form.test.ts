import type { JudgeSettings } from "@darklaunch/core";
import { describe, expect, it } from "vitest";
import { bodyFromForm, formatObjective, formFromSettings, problemsByField, settingRows } from "./judge-settings-form.js";

const settings = (over: Partial<JudgeSettings> = {}): JudgeSettings =>
  ({
    alpha: 0.05,
    mode: "auto",
    warmupMinutes: 2,
    minStepMinutes: 10,
    maxStepMinutes: 60,
    critical: ["errors", "latencyP99"],
    criticalFields: [],
    tolerances: { errors: 1.1, latencyTail: 1.2, latencyPaired: 1, mismatches: 1.2, safe: 1.5 },
    business: { safeMargin: 0.1, minEvents: 30, detectEffect: 0.1 },
    diagnosticsQ: 0.1,
    health: { srmAlpha: 0.001, srmFloor: 0.05, maxMirrorLoss: 0.1, minCoverage: 0.9, gapMinutes: 5 },
    ...over,
  }) as JudgeSettings;

describe("judge settings form", () => {
  const shown = formFromSettings(settings({ errorRateObjective: 0.07 }));

  it("fills from the effective settings, the objective in percent", () => {
    expect(shown).toEqual({ critical: ["errors", "latencyP99"], errorsTolerance: "1.1", warmup: "2", errorObjective: "7" });
    expect(formFromSettings(settings()).errorObjective).toBe("");
  });

  it("sends what the flag stores with only the changed fields over it", () => {
    const stored = { alpha: 0.01, tolerances: { latencyTail: 1.3 } };
    const outcome = bodyFromForm(stored, shown, { ...shown, errorsTolerance: "1.25", errorObjective: "1 %" });
    expect(outcome).toEqual({
      body: { alpha: 0.01, tolerances: { latencyTail: 1.3, errors: 1.25 }, errorRateObjective: 0.01 },
      changed: ["errorsTolerance", "errorObjective"],
    });
    // The stored settings are not changed in place.
    expect(stored).toEqual({ alpha: 0.01, tolerances: { latencyTail: 1.3 } });
    expect(bodyFromForm(stored, shown, shown)).toEqual({ body: stored, changed: [] });
  });

  it("removes an emptied objective and replaces the critical list as a whole", () => {
    const outcome = bodyFromForm({ errorRateObjective: 0.07 }, shown, { ...shown, errorObjective: " ", critical: ["errors"] });
    expect(outcome).toEqual({ body: { critical: ["errors"] }, changed: ["critical", "errorObjective"] });
  });

  it("leaves ranges to the server but sends text it cannot read as typed, so the server names the field", () => {
    expect(bodyFromForm({}, shown, { ...shown, errorsTolerance: "0.5" })).toMatchObject({ body: { tolerances: { errors: 0.5 } } });
    expect(bodyFromForm({}, shown, { ...shown, warmup: "soon" })).toMatchObject({ body: { warmupMinutes: "soon" } });
    expect(bodyFromForm({}, shown, { ...shown, errorObjective: "lots" })).toEqual({
      problems: { errorObjective: 'must be a percentage such as 1 (for 1 %), got "lots"' },
    });
  });

  it("puts the server's problems beside their fields, the rest aside", () => {
    const details = [
      { path: "tolerances.errors", message: "must be at least 1" },
      { path: "critical[0]", message: "must be one of errors, latencyP95" },
      { path: "tolerances.safe", message: "must exceed tolerances.errors" },
      { path: "errorRateObjective", message: "must be below 1" },
    ];
    expect(problemsByField(details)).toEqual({
      fields: {
        errorsTolerance: "tolerances.errors: must be at least 1",
        critical: "critical[0]: must be one of errors, latencyP95",
        errorObjective: "errorRateObjective: must be below 1",
      },
      other: ["tolerances.safe: must exceed tolerances.errors"],
    });
    expect(problemsByField(undefined)).toEqual({ fields: {}, other: [] });
  });

  it("lists each setting with where it comes from", () => {
    const rows = settingRows(settings({ errorRateObjective: 0.015 }), (path) => (path === "alpha" ? "flag" : "default"));
    expect(rows.find((r) => r.path === "alpha")).toMatchObject({ value: "0.05", source: "flag" });
    expect(rows.find((r) => r.path === "errorRateObjective")).toMatchObject({ value: "1.5 %", source: "default" });
    expect(settingRows(settings(), () => "default").find((r) => r.path === "errorRateObjective")).toMatchObject({
      value: "none",
      source: "not set",
    });
    expect(formatObjective(0.001)).toBe("0.1 %");
  });
});
