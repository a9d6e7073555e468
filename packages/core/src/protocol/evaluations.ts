import { z } from "zod";
import { KeySchema } from "../flag-schema.js";
import { PageParams } from "./audit.js";
import { VERDICTS } from "./check.js";
import { DurationParam, TimeParam } from "./time-params.js";

/** Who evaluated: the server (`/evaluate`), an SDK (telemetry samples) or an OFREP client. */
export const EVALUATION_SOURCES = ["server", "sdk", "ofrep"] as const;
export type EvaluationSource = (typeof EVALUATION_SOURCES)[number];

const EvaluationFilters = {
  flag: KeySchema.optional(),
  verdict: z.enum(VERDICTS).optional(),
  reason: z.string().min(1).optional(),
  subject: z.string().min(1).optional(),
  source: z.enum(EVALUATION_SOURCES).optional(),
  since: TimeParam.optional(),
  until: TimeParam.optional(),
};

/** `GET /api/v1/evaluations`. */
export const EvaluationListQuery = z.strictObject({ ...EvaluationFilters, ...PageParams });
export type EvaluationListQuery = z.input<typeof EvaluationListQuery>;

/** `GET /api/v1/evaluations/stats`: `period` (default 1d) or `since`, not both. */
export const EvaluationStatsQuery = z.strictObject({ ...EvaluationFilters, period: DurationParam.optional() });
export type EvaluationStatsQuery = z.input<typeof EvaluationStatsQuery>;

/** One recorded evaluation (the seed's `policy_evaluations` row). */
export const EvaluationRecordSchema = z.object({
  id: z.number().int(),
  at: z.string(),
  flag: z.string(),
  flagVersion: z.number().int().nullable(),
  /** The value of the flag's `bucketBy` attribute, or null when the context had none. */
  subject: z.string().nullable(),
  variant: z.string().nullable(),
  verdict: z.enum(VERDICTS),
  reason: z.string(),
  position: z.number().nullable(),
  source: z.enum(EVALUATION_SOURCES),
});
export type EvaluationRecord = z.output<typeof EvaluationRecordSchema>;

export const EvaluationPageSchema = z.object({
  evaluations: z.array(EvaluationRecordSchema),
  nextBefore: z.number().int().nullable(),
});
export type EvaluationPage = z.output<typeof EvaluationPageSchema>;

/** Evaluations counted over a period, overall and per flag; `byVariant["(none)"]` counts errors. */
export const EvaluationStatsSchema = z.object({
  since: z.string(),
  until: z.string(),
  total: z.number().int(),
  byVerdict: z.object({ include: z.number().int(), exclude: z.number().int() }),
  byReason: z.record(z.string(), z.number().int()),
  byVariant: z.record(z.string(), z.number().int()),
  flags: z.array(
    z.object({
      flag: z.string(),
      total: z.number().int(),
      include: z.number().int(),
      exclude: z.number().int(),
      includeRate: z.number(),
    }),
  ),
});
export type EvaluationStats = z.output<typeof EvaluationStatsSchema>;
