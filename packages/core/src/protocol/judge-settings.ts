import { z } from "zod";
import { JudgeSettingsSchema } from "../judge/judge-settings.js";

/** Where an effective judge setting came from: the defaults, the flag's stored settings, the ramp's own, or the ramp's plan (warm-up and step times). */
export const JUDGE_SETTING_SOURCES = ["default", "flag", "ramp", "plan"] as const;
export type JudgeSettingSource = (typeof JUDGE_SETTING_SOURCES)[number];

/**
 * `PUT /api/v1/flags/{key}/judge`: any subset of the judge settings (the rest take their
 * defaults). It replaces what the flag had; `DELETE` returns every field to its default.
 */
export const FlagJudgeSettingsRequestSchema = JudgeSettingsSchema;
export type FlagJudgeSettingsRequest = z.input<typeof FlagJudgeSettingsRequestSchema>;

/** A flag's judge settings: the effective ones (defaults filled in) and which fields the flag sets. */
export const FlagJudgeSettingsResponseSchema = z.object({
  flag: z.string(),
  /** What `/verdict`, `/analysis`, Prometheus and ramps without their own settings use. */
  settings: JudgeSettingsSchema,
  /** Dotted paths of the fields the flag sets (`alpha`, `tolerances.errors`); every other field is a default. */
  set: z.array(z.string()),
  /** The settings as stored (only the fields set). */
  stored: z.record(z.string(), z.unknown()),
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
});
export type FlagJudgeSettingsResponse = z.output<typeof FlagJudgeSettingsResponseSchema>;

/** The judge settings a ramp runs with, and for each field (dotted path) where it came from. */
export const EffectiveJudgeSettingsSchema = z.object({
  settings: JudgeSettingsSchema,
  sources: z.record(z.string(), z.enum(JUDGE_SETTING_SOURCES)),
});
export type EffectiveJudgeSettings = z.output<typeof EffectiveJudgeSettingsSchema>;
