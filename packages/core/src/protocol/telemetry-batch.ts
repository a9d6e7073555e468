import { z } from "zod";
import { parseIsoDate } from "../dates.js";
import { KeySchema } from "../flag-schema.js";

/** Most count rows one telemetry batch may carry (an SDK sends more in several posts). */
export const MAX_TELEMETRY_COUNTS = 10_000;
/** Most samples one telemetry batch may carry. */
export const MAX_TELEMETRY_SAMPLES = 1_000;

/** An ISO 8601 date-time with its zone, normalized to `toISOString()` form. */
const IsoTime = z.string().transform((text, ctx) => {
  const ms = /T/.test(text) ? parseIsoDate(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: "custom", message: `must be an ISO 8601 date-time such as 2026-05-01T08:00:00Z; got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});

const Text = z.string().min(1).max(1024);
const Count = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** Evaluations of one (flag, variant, reason, verdict) counted over the interval. */
export const TelemetryCountSchema = z.strictObject({
  flag: KeySchema,
  variant: Text.nullable(),
  reason: z.string().min(1).max(64),
  included: z.boolean(),
  count: Count,
});

/** One excluded evaluation, sampled: it joins the evaluations log as source `sdk`. */
export const TelemetrySampleSchema = z.strictObject({
  at: IsoTime,
  flag: KeySchema,
  flagVersion: z.number().int().min(0).nullable().optional(),
  subject: Text.nullable(),
  variant: Text.nullable(),
  reason: z.string().min(1).max(64),
  position: z.number().min(0).max(100).nullable().optional(),
  included: z.boolean(),
});

/**
 * The body of `POST /api/v1/sdk/telemetry`: per instance and interval, evaluation counts, a capped
 * sample of excluded evaluations, and how many evaluations the SDK dropped because its buffer was full.
 */
export const TelemetryBatchSchema = z
  .strictObject({
    /** Which running SDK sent this: counts are merged per instance. */
    instance: z.string().min(1).max(200),
    sdk: z.strictObject({ name: z.string().min(1).max(100), version: z.string().min(1).max(100) }).optional(),
    intervalStart: IsoTime,
    intervalEnd: IsoTime,
    counts: z.array(TelemetryCountSchema).max(MAX_TELEMETRY_COUNTS).default([]),
    samples: z.array(TelemetrySampleSchema).max(MAX_TELEMETRY_SAMPLES).default([]),
    dropped: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .refine((b) => b.intervalEnd >= b.intervalStart, { path: ["intervalEnd"], message: "must not be earlier than intervalStart" });

/** A batch as the server reads it: dates normalized, absent lists empty. */
export type TelemetryBatchInput = z.output<typeof TelemetryBatchSchema>;

/** One count row, as an SDK sends it. */
export interface TelemetryCount {
  flag: string;
  variant: string | null;
  reason: string;
  included: boolean;
  count: number;
}

/** One sampled evaluation, as an SDK sends it. */
export interface TelemetrySample {
  at: string;
  flag: string;
  flagVersion: number | null;
  subject: string | null;
  variant: string | null;
  reason: string;
  position: number | null;
  included: boolean;
}

/** A telemetry batch as an SDK sends it: every field present. */
export interface TelemetryBatch {
  instance: string;
  sdk: { name: string; version: string };
  intervalStart: string;
  intervalEnd: string;
  counts: TelemetryCount[];
  samples: TelemetrySample[];
  dropped: number;
}

/** @internal What an SDK sends must be what the server accepts: this fails to compile when the two drift. */
type Accepts<Schema extends z.ZodType, Sent extends z.input<Schema>> = Sent;
export type _BatchAccepted = Accepts<typeof TelemetryBatchSchema, TelemetryBatch>;
