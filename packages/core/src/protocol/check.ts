import { z } from "zod";
import { PercentageSchema } from "../flag-schema.js";
import { REASONS } from "../result.js";
import { MAX_CHECK_SUBJECTS } from "./limits.js";

export const VERDICTS = ["include", "exclude"] as const;
export type Verdict = (typeof VERDICTS)[number];

/** `POST /flags/{key}/check`: the subjects to explain, attributes for all of them, a what-if percentage. */
export const CheckRequestSchema = z
  .strictObject({
    id: z.string().min(1).optional(),
    ids: z
      .array(z.string().min(1, "ids must not be empty strings"))
      .max(MAX_CHECK_SUBJECTS, `at most ${MAX_CHECK_SUBJECTS} ids per check`)
      .optional(),
    /** Attributes added to every subject's context (country, plan …), for rules that test them. */
    context: z.record(z.string(), z.unknown()).optional(),
    /** What-if: the verdict if the rollout were at this percentage. */
    percentage: PercentageSchema.optional(),
  })
  .refine((body) => body.id !== undefined || (body.ids !== undefined && body.ids.length > 0), {
    message: "send `id` or a non-empty `ids`",
  });
export type CheckRequest = z.input<typeof CheckRequestSchema>;

export const ExplainStepSchema = z.object({
  step: z.enum(["flag", "context", "enabled", "schedule", "prerequisite", "override", "rule", "fallthrough"]),
  outcome: z.enum(["pass", "decided", "no-match"]),
  detail: z.string(),
});

export const CheckResultSchema = z.object({
  subject: z.string(),
  variant: z.string().nullable(),
  value: z.unknown(),
  included: z.boolean(),
  verdict: z.enum(VERDICTS),
  reason: z.enum(REASONS),
  ruleId: z.string().nullable(),
  position: z.number().nullable(),
  includedFrom: z.number().nullable(),
  whatIf: z.object({ percentage: z.number(), included: z.boolean(), decidedEarlier: z.boolean() }).nullable(),
  summary: z.string(),
  steps: z.array(ExplainStepSchema),
});
export type CheckResult = z.output<typeof CheckResultSchema>;

export const CheckResponseSchema = z.object({
  flagKey: z.string(),
  flagVersion: z.number().int(),
  revision: z.number().int(),
  bucketBy: z.string(),
  salt: z.string(),
  percentage: z.number().nullable(),
  whatIfPercentage: z.number().nullable(),
  included: z.number().int(),
  results: z.array(CheckResultSchema),
});
export type CheckResponse = z.output<typeof CheckResponseSchema>;

/** `POST /flags/{key}/evaluate`: the attributes to evaluate for, `{ id: "u42", country: "NL" }`. */
export const EvaluateRequestSchema = z.strictObject({
  context: z.record(z.string(), z.unknown()).default({}),
});
export type EvaluateRequest = z.input<typeof EvaluateRequestSchema>;

export const EvaluateResponseSchema = z.object({
  flagKey: z.string(),
  flagVersion: z.number().int(),
  subject: z.string().nullable(),
  variant: z.string().nullable(),
  value: z.unknown(),
  included: z.boolean(),
  verdict: z.enum(VERDICTS),
  reason: z.enum(REASONS),
  ruleId: z.string().nullable(),
  position: z.number().nullable(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  at: z.string(),
});
export type EvaluateResponse = z.output<typeof EvaluateResponseSchema>;
