import { z } from "zod";
import { ValidationError } from "../errors.js";
import { isRecord } from "../option-checks.js";
import { zodProblems } from "../validate.js";

/** The decision metrics: each may roll back (harm side) and, when critical, must prove itself safe to advance. */
export const JUDGE_METRICS = ["errors", "latencyP95", "latencyP99", "latencyPaired"] as const;
export type JudgeMetric = (typeof JUDGE_METRICS)[number];

const Ratio = (fallback: number) =>
  z.number({ error: "must be a number" }).min(1, "must be at least 1").max(100, "must be at most 100").default(fallback);
const Minutes = (fallback: number, max = 7 * 24 * 60) =>
  z
    .number({ error: "must be a number" })
    .int("must be a whole number of minutes")
    .min(0, "must not be negative")
    .max(max)
    .default(fallback);
const Share = (fallback: number) =>
  z.number({ error: "must be a number" }).gt(0, "must be above 0").lt(1, "must be below 1").default(fallback);

/**
 * Per-flag judge settings. Every field has a default that works without configuration; see the
 * core README ("The judge") for what each one does to the verdict.
 */
export const JudgeSettingsSchema = z
  .strictObject({
    /** Family-wise error rate of the decision metrics (Bonferroni: each harm e-value must reach K/α). */
    alpha: Share(0.05),
    /** `auto`: shadow when any minute carries paired counters, else split. */
    mode: z.enum(["auto", "shadow", "split"], { error: "must be one of auto, shadow, split" }).default("auto"),
    /** Minutes after a step change that are shown but not tested. */
    warmupMinutes: Minutes(2, 120),
    minStepMinutes: Minutes(10),
    maxStepMinutes: Minutes(60),
    /** Metrics that must prove themselves safe before SAFE, and whose regression rolls back. */
    critical: z
      .array(z.enum(JUDGE_METRICS, { error: `must be one of ${JUDGE_METRICS.join(", ")}` }))
      .max(JUDGE_METRICS.length)
      .default(["errors", "latencyP99"]),
    /** Response fields whose mismatches are decision metrics too (else they are diagnostics only). */
    criticalFields: z.array(z.string().min(1, "must not be empty").max(512)).max(20, "holds at most 20 fields").default([]),
    tolerances: z
      .strictObject({
        /** Harm when dark's error rate exceeds this × base (r0). */
        errors: Ratio(1.1),
        /** Tail latency: harm when dark exceeds the frozen baseline p95/p99 this × as often. */
        latencyTail: Ratio(1.2),
        /** Paired latency: harm when slower pairs outnumber faster ones by more than this. */
        latencyPaired: Ratio(1),
        /** Mismatch rate against the noise reference (stable vs stable). */
        mismatches: Ratio(1.2),
        /** Safe side: evidence the ratio is below this (non-inferiority margin, r_max). */
        safe: Ratio(1.5),
      })
      .default({ errors: 1.1, latencyTail: 1.2, latencyPaired: 1, mismatches: 1.2, safe: 1.5 }),
    /** Business metrics (conversions, counts, values per exposure; their definitions carry direction and tolerance). */
    business: z
      .strictObject({
        /** Safe side: evidence dark is no worse than the metric's tolerance plus this (relative non-inferiority margin). */
        safeMargin: Share(0.1),
        /** Events on each arm before a metric may count as SAFE, and before the value test starts (its variance estimate). */
        minEvents: z.number({ error: "must be a number" }).int("must be a whole number").min(1).max(1_000_000).default(30),
        /** Evidence needed is reckoned for dark this much (relative) worse than baseline. */
        detectEffect: Share(0.1),
      })
      .default({ safeMargin: 0.1, minEvents: 30, detectEffect: 0.1 }),
    /**
     * The flag's error-rate objective: the share of dark's requests that may fail (0.01 = 1 %). It
     * feeds the dashboard's error budget burn only and never changes a verdict; absent by default.
     */
    errorRateObjective: z
      .number({ error: "must be a number (a share such as 0.01 for 1 %)" })
      .gt(0, "must be above 0")
      .lt(1, "must be below 1 (a share such as 0.01 for 1 %)")
      .optional(),
    /** False-discovery rate of the per-route and per-field diagnostics (e-BH). */
    diagnosticsQ: Share(0.1),
    health: z
      .strictObject({
        /** Level of the sample-ratio mismatch test (its own, not shared with the decision metrics). */
        srmAlpha: Share(0.001),
        /** A share within this relative distance of its target is no mismatch. */
        srmFloor: Share(0.05),
        /** Share of the expected mirrors that may be lost in shadow mode. */
        maxMirrorLoss: Share(0.1),
        /** Share of the step's minutes that must have been reported. */
        minCoverage: Share(0.9),
        /** This many unreported minutes in a row at the end is a data gap. */
        gapMinutes: Minutes(5, 120),
      })
      .default({ srmAlpha: 0.001, srmFloor: 0.05, maxMirrorLoss: 0.1, minCoverage: 0.9, gapMinutes: 5 }),
  })
  .refine((s) => s.maxStepMinutes >= s.minStepMinutes, { error: "must be at least minStepMinutes", path: ["maxStepMinutes"] })
  .refine((s) => s.tolerances.safe > Math.max(s.tolerances.errors, s.tolerances.latencyTail, s.tolerances.latencyPaired), {
    error: "must exceed tolerances.errors, latencyTail and latencyPaired (the safe margin lies above the harm one)",
    path: ["tolerances", "safe"],
  });

export type JudgeSettings = z.output<typeof JudgeSettingsSchema>;
export type JudgeSettingsInput = z.input<typeof JudgeSettingsSchema>;

/**
 * Checks judge settings and fills in defaults; throws a `ValidationError` (status 400) naming every
 * bad field (`tolerances.errors: must be at least 1`).
 *
 * @example
 * parseJudgeSettings({}); // every default
 * parseJudgeSettings({ critical: ["errors"], minStepMinutes: 5 });
 */
export function parseJudgeSettings(input: unknown = {}): JudgeSettings {
  const parsed = JudgeSettingsSchema.safeParse(input ?? {});
  if (!parsed.success) throw new ValidationError("judge settings", zodProblems(parsed.error, []));
  return parsed.data;
}

/** Every default, for a flag with no settings. */
export const DEFAULT_JUDGE_SETTINGS: JudgeSettings = parseJudgeSettings({});

/**
 * Partial settings `over` laid on `base` field by field: nested objects (`tolerances`, `health`)
 * merge, anything else (numbers, the `critical` list) replaces. Neither input is changed.
 *
 * @example
 * overlayJudgeSettings({ tolerances: { errors: 1.2 } }, { tolerances: { safe: 2 } }); // { tolerances: { errors: 1.2, safe: 2 } }
 */
export function overlayJudgeSettings(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const below = out[key];
    out[key] = isRecord(value) && isRecord(below) ? overlayJudgeSettings(below, value) : value;
  }
  return out;
}
