import { describe, expect, it } from "vitest";
import { DEFAULT_JUDGE_SETTINGS, parseJudgeSettings } from "./judge-settings.js";

describe("errorRateObjective", () => {
  it("is absent by default and kept when set", () => {
    expect("errorRateObjective" in DEFAULT_JUDGE_SETTINGS).toBe(false);
    expect(parseJudgeSettings({ errorRateObjective: 0.01 }).errorRateObjective).toBe(0.01);
    // Setting it changes nothing else.
    const { errorRateObjective: _, ...rest } = parseJudgeSettings({ errorRateObjective: 0.01 });
    expect(rest).toEqual(DEFAULT_JUDGE_SETTINGS);
  });

  it("refuses a value that is not a share, naming the field", () => {
    expect(() => parseJudgeSettings({ errorRateObjective: 1.5 })).toThrow(/errorRateObjective: must be below 1/);
    expect(() => parseJudgeSettings({ errorRateObjective: 0 })).toThrow(/errorRateObjective: must be above 0/);
    expect(() => parseJudgeSettings({ errorRateObjective: "1%" })).toThrow(/errorRateObjective: must be a number/);
  });
});
