import { z } from "zod";
import { KeySchema } from "../flag-schema.js";
import { JudgeSettingsSchema } from "../judge/judge-settings.js";
import { JUDGE_STATES } from "../judge/judge-types.js";
import { RampPlanSchema } from "../ramp/ramp-plan.js";
import { RAMP_STATUSES, RampStateSchema } from "../ramp/ramp-state.js";
import { EffectiveJudgeSettingsSchema } from "./judge-settings.js";
import { TimeParam } from "./time-params.js";

/** `POST /api/v1/flags/{key}/ramp`: the plan (`{}` takes every default), and the dark build it ramps. */
export const RampStartRequestSchema = z.strictObject({
  plan: RampPlanSchema.optional(),
  /**
   * The dark build (image tag, commit …). E-values carry across the steps of one build; a ramp of a
   * new build starts its evidence afresh.
   */
  darkBuild: z.string().trim().min(1).max(200).optional(),
  /**
   * Judge settings for this ramp (every field optional): each field given overrides the flag's
   * (`PUT /flags/{key}/judge`), the rest come from the flag, else the defaults; the plan's warm-up
   * and step times replace the judge's.
   */
  judge: JudgeSettingsSchema.optional(),
});
export type RampStartRequest = z.input<typeof RampStartRequestSchema>;

/** The manual controls of a running ramp. */
export const RAMP_CONTROLS = ["pause", "resume", "abort", "promote", "dismiss"] as const;
export type RampControlName = (typeof RAMP_CONTROLS)[number];

export const RampControlParams = z.strictObject({
  key: KeySchema,
  action: z.enum(RAMP_CONTROLS, { error: `must be one of ${RAMP_CONTROLS.join(", ")}` }),
});

/** The body of a control: `reason` is required to dismiss; `keepFlag` leaves the flag as it is on abort. */
export const RampControlRequestSchema = z.strictObject({
  reason: z.string().trim().min(1, "must not be empty").max(1000, "must be at most 1000 characters").optional(),
  keepFlag: z.boolean().optional(),
});
export type RampControlRequest = z.input<typeof RampControlRequestSchema>;

/** A ramp as the API answers it: plan, state (core `RampState`), and who runs it. */
export const RampRecordSchema = z.object({
  id: z.string(),
  flag: z.string(),
  status: z.enum(RAMP_STATUSES),
  plan: RampPlanSchema,
  state: RampStateSchema,
  darkBuild: z.string().nullable(),
  /** The judge settings given at the start (only the fields set). */
  judge: z.record(z.string(), z.unknown()),
  /** The settings the ramp is judged with now, and for each field whether it comes from the ramp, its plan, the flag or the defaults. */
  judgeEffective: EffectiveJudgeSettingsSchema,
  /** The length of this ramp's minute in milliseconds (the server's `minuteMs` when it started). */
  minuteMs: z.number().int(),
  createdBy: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  /** The replica running it and until when; null when none holds it. */
  lease: z.object({ owner: z.string(), expiresAt: z.string() }).nullable(),
});
export type RampRecord = z.output<typeof RampRecordSchema>;

export const RampResponseSchema = z.object({ ramp: RampRecordSchema });
export type RampResponse = z.output<typeof RampResponseSchema>;

export const RampListResponse = z.object({ ramps: z.array(RampRecordSchema) });
export type RampListResponse = z.output<typeof RampListResponse>;

/** `GET /flags/{key}/verdict` and `/analysis`: the period judged when the flag is under no ramp (default the last hour). */
export const VerdictQuery = z.strictObject({ since: TimeParam.optional() });
export type VerdictQuery = z.input<typeof VerdictQuery>;

/** `POST /flags/{key}/verdict/gate`: `require=safe` passes only SAFE (a promotion gate); default passes all but REGRESSION and UNHEALTHY. */
export const VerdictGateQuery = z.strictObject({
  since: TimeParam.optional(),
  require: z.enum(["ok", "safe"], { error: "must be ok or safe" }).default("ok"),
});
export type VerdictGateQuery = z.input<typeof VerdictGateQuery>;

// Numbers of the judge that may be infinite (an e-value past 1e308) are answered as null.
const Num = z.number().nullable();

const EvidenceSideSchema = z.object({ nullRatio: z.number(), e: Num, logE: Num, maxE: Num, threshold: z.number(), crossed: z.boolean() });
const CountsSchema = z.object({ events: z.number(), exposure: z.number(), rate: Num });

export const MetricVerdictSchema = z.object({
  metric: z.string(),
  test: z.string(),
  decision: z.boolean(),
  critical: z.boolean(),
  estimate: Num,
  dark: CountsSchema,
  baseline: CountsSchema,
  harm: EvidenceSideSchema,
  safe: EvidenceSideSchema.nullable(),
  minutesTested: z.number(),
  thresholdMs: Num.optional(),
  quantile: Num.optional(),
  note: z.string().optional(),
  /** Business metrics (`business:<key>`): the metric and each arm's rate per exposed subject. */
  business: z
    .object({
      key: z.string(),
      event: z.string(),
      kind: z.enum(["conversion", "count", "value"]),
      direction: z.enum(["up", "down"]),
      tolerance: z.number(),
      darkRate: Num,
      baseRate: Num,
      relativeEffect: Num,
      fewestEvents: z.number(),
      minEvents: z.number(),
    })
    .optional(),
  /** Business metrics: dark exposures needed to see dark `effect` (relative) worse. */
  evidenceNeeded: z.object({ exposures: Num, seen: z.number(), remaining: Num, effect: z.number() }).optional(),
});

/**
 * The judge's verdict on a flag now (`GET /flags/{key}/verdict`): core's `JudgeVerdict` (numbers
 * per metric, health, evidence needed, why) plus `ok` and the ramp it is judged for. Shaped for
 * tools: an Argo Rollouts `web` metric reads `{$.state}` or `{$.ok}` with jsonPath; a Flagger
 * webhook reads the status code of `POST …/verdict/gate`.
 */
export const VerdictResponseSchema = z.object({
  flag: z.string(),
  state: z.enum(JUDGE_STATES),
  /** False on REGRESSION and UNHEALTHY: what a gate should fail on. */
  ok: z.boolean(),
  action: z.string(),
  why: z.string(),
  mode: z.enum(["shadow", "split"]),
  at: z.string().nullable(),
  /** The first minute judged: the ramp's start, or `since`. */
  from: z.string(),
  alpha: z.number(),
  decisionMetrics: z.number(),
  metrics: z.array(MetricVerdictSchema),
  health: z.record(z.string(), z.unknown()),
  evidenceNeeded: z.object({ requests: Num, seen: z.number(), remaining: Num, baseRate: Num }),
  step: z.record(z.string(), z.unknown()),
  diagnostics: z.record(z.string(), z.unknown()),
  /** The ramp the verdict is for, when the flag is under one. */
  ramp: z.object({ id: z.string(), status: z.enum(RAMP_STATUSES), phase: z.string(), step: z.number(), percentage: z.number() }).nullable(),
});
export type VerdictResponse = z.output<typeof VerdictResponseSchema>;

/** `GET /flags/{key}/analysis`: per minute, each metric's estimate, band and e-values (core `analysisSeries`). */
export const AnalysisResponseSchema = z.object({
  flag: z.string(),
  from: z.string(),
  series: z.array(
    z.object({
      start: z.string(),
      reported: z.boolean(),
      warmup: z.boolean(),
      tested: z.boolean(),
      metrics: z.record(z.string(), z.object({ estimate: Num, band: z.tuple([Num, Num]).nullable(), eHarm: Num, eSafe: Num })),
    }),
  ),
});
export type AnalysisResponse = z.output<typeof AnalysisResponseSchema>;

/** A stored verdict of a ramp, newest first in `GET /flags/{key}/ramp/verdicts`. */
export const RampVerdictRecordSchema = z.object({
  at: z.string(),
  state: z.enum(JUDGE_STATES),
  action: z.string(),
  replica: z.string(),
  why: z.string(),
  verdict: z.record(z.string(), z.unknown()),
});
export const RampVerdictListResponse = z.object({ verdicts: z.array(RampVerdictRecordSchema) });
export type RampVerdictListResponse = z.output<typeof RampVerdictListResponse>;
