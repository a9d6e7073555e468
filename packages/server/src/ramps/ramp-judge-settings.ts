import { type EffectiveJudgeSettings, ValidationError } from "@darklaunch/core";
import { layerJudgeSettings } from "../judge-settings/layered-settings.js";
import type { StoredRamp } from "./ramp-store.js";

/**
 * The judge settings of a ramp: the flag's stored settings, the ramp's own over them field by
 * field, and the plan's warm-up and step times over both. Should the flag's settings have changed
 * since the start so that they no longer combine with the ramp's (a harm tolerance above the
 * ramp's safe margin), the ramp keeps judging with its own settings over the defaults.
 */
export function rampJudgeSettings(ramp: StoredRamp, flagSettings: Record<string, unknown>): EffectiveJudgeSettings {
  const warmup = Math.ceil(ramp.plan.warmup);
  const min = Math.max(Math.ceil(ramp.plan.minStep), 1);
  const plan = {
    source: "plan" as const,
    settings: { warmupMinutes: warmup, minStepMinutes: min, maxStepMinutes: Math.max(Math.ceil(ramp.plan.maxStep), min, warmup + 1) },
  };
  const own = { source: "ramp" as const, settings: ramp.judge };
  try {
    return layerJudgeSettings([{ source: "flag", settings: flagSettings }, own, plan]);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return layerJudgeSettings([own, plan]);
  }
}
