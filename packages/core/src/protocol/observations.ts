import { z } from "zod";
import { OBSERVATION_SOURCES } from "../observation-window.js";
import { DEFAULT_SAMPLE_LIMIT, MAX_ROUTE_LENGTH, MAX_SAMPLE_LIMIT } from "./limits.js";
import { StepParam, TimeParam } from "./time-params.js";

/** The message for a source that is none of `OBSERVATION_SOURCES`. */
export const OBSERVATION_SOURCE_MESSAGE = `must be one of ${OBSERVATION_SOURCES.join(", ")}`;

const PeriodFilters = {
  /** Default: an hour before `until`. */
  since: TimeParam.optional(),
  /** Default: now. */
  until: TimeParam.optional(),
  source: z.enum(OBSERVATION_SOURCES, { error: OBSERVATION_SOURCE_MESSAGE }).optional(),
  route: z.string().min(1).max(MAX_ROUTE_LENGTH).optional(),
};

/** `GET /flags/{key}/observations`: a period, filters and a step (default 1m, ≤ 1000 steps). */
export const ObservationSeriesQuery = z.strictObject({
  ...PeriodFilters,
  step: StepParam.default({ text: "1m", ms: 60_000 }),
});
export type ObservationSeriesQuery = z.input<typeof ObservationSeriesQuery>;

/** `GET /flags/{key}/mismatches`: a period, filters and how many samples. */
export const MismatchQuery = z.strictObject({
  ...PeriodFilters,
  limit: z.coerce.number<number>().int().min(1).max(MAX_SAMPLE_LIMIT).default(DEFAULT_SAMPLE_LIMIT),
});
export type MismatchQuery = z.input<typeof MismatchQuery>;

/** One side over a step or period: counts, error rate, latency quantiles (ms), requests per second. */
export const SideRatesSchema = z.object({
  requests: z.number().int(),
  errors: z.number().int(),
  errorRate: z.number().nullable(),
  mean: z.number().nullable(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  requestRate: z.number(),
});
export type SideRates = z.output<typeof SideRatesSchema>;

/** Comparisons over a period; `divergenceRate` is mismatched / total, null without comparisons. */
export const ComparisonSummarySchema = z.object({
  total: z.number().int(),
  matched: z.number().int(),
  mismatched: z.number().int(),
  divergenceRate: z.number().nullable(),
});

/**
 * Shadow mode's paired counters over a step or period (requests sent to both sides): `pairs` is
 * slower + faster + tie; errors counted per pair (dark only, baseline only, both); `lost`: mirrors
 * meant that ended without a pair (the judge's mirror loss is lost / (pairs + lost)). Null when no
 * window there had paired counters (split mode, no traffic, or reporters that do not pair); a
 * window with lost mirrors only has `pairs: 0`.
 */
export const PairedSummarySchema = z
  .object({
    pairs: z.number().int(),
    bothErr: z.number().int(),
    darkOnlyErr: z.number().int(),
    baseOnlyErr: z.number().int(),
    slower: z.number().int(),
    faster: z.number().int(),
    tie: z.number().int(),
    /** Mirrors meant and ended without a pair; absent when no reporter there counted them. */
    lost: z.number().int().optional(),
  })
  .nullable();
export type PairedSummary = z.output<typeof PairedSummarySchema>;

export const SeriesPointSchema = z.object({
  start: z.string(),
  baseline: SideRatesSchema,
  dark: SideRatesSchema,
  comparison: ComparisonSummarySchema,
  paired: PairedSummarySchema,
});

export const ObservationSeriesSchema = z.object({
  flag: z.string(),
  since: z.string(),
  until: z.string(),
  step: z.string(),
  stepSeconds: z.number(),
  series: z.array(SeriesPointSchema),
  totals: z.object({
    baseline: SideRatesSchema,
    dark: SideRatesSchema,
    comparison: ComparisonSummarySchema,
    paired: PairedSummarySchema,
  }),
});
export type ObservationSeries = z.output<typeof ObservationSeriesSchema>;

/** One field path over a period: how often it differed dark vs baseline, and baseline vs baseline. */
export const FieldReportSchema = z.object({
  path: z.string(),
  differences: z.number().int(),
  rate: z.number(),
  noise: z.number().int(),
  noiseRate: z.number().nullable(),
  significant: z.boolean(),
});

export const DifferenceViewSchema = z.object({
  path: z.string(),
  location: z.string(),
  kind: z.enum(["changed", "added", "removed", "type"]),
  baseline: z.unknown().optional(),
  dark: z.unknown().optional(),
});

/** A redacted example of a mismatch, with where it was observed. */
export const LocatedSampleSchema = z.object({
  at: z.string(),
  requestId: z.string().optional(),
  method: z.string().optional(),
  url: z.string().optional(),
  baselineStatus: z.number().int().optional(),
  darkStatus: z.number().int().optional(),
  differences: z.array(DifferenceViewSchema),
  route: z.string(),
  source: z.enum(OBSERVATION_SOURCES),
});
export type LocatedSample = z.output<typeof LocatedSampleSchema>;

/**
 * One route of one source over the period: requests and errors per side, comparisons, and
 * `beyondNoise`, the mismatches left once noise is set aside: the most differences of any field
 * judged a real difference on this route (a lower bound; 0 when every differing field is noise).
 */
export const RouteBreakdownSchema = z.object({
  route: z.string(),
  source: z.enum(OBSERVATION_SOURCES),
  baseline: z.object({ requests: z.number().int(), errors: z.number().int(), errorRate: z.number().nullable() }),
  dark: z.object({ requests: z.number().int(), errors: z.number().int(), errorRate: z.number().nullable() }),
  comparison: ComparisonSummarySchema,
  beyondNoise: z.number().int(),
  realFields: z.number().int(),
});
export type RouteBreakdown = z.output<typeof RouteBreakdownSchema>;

export const MismatchReportSchema = z.object({
  flag: z.string(),
  since: z.string(),
  until: z.string(),
  comparison: ComparisonSummarySchema,
  fields: z.array(FieldReportSchema),
  samples: z.array(LocatedSampleSchema),
  /** Per route and source, most mismatches first. */
  routes: z.array(RouteBreakdownSchema),
});
export type MismatchReport = z.output<typeof MismatchReportSchema>;

/** The answer to `POST /api/v1/observations`: windows stored, and those skipped with why. */
export const ObservationRecordResultSchema = z.object({
  accepted: z.number().int(),
  skipped: z.array(z.object({ index: z.number().int(), flag: z.string(), reason: z.enum(["UNKNOWN_FLAG"]) })),
  minuteMs: z
    .number()
    .int()
    .describe(
      "The server's minute in ms: window starts are multiples of it (60000; shorter on a server run with short minutes for tests and demos)",
    ),
});
export type ObservationRecordResult = z.output<typeof ObservationRecordResultSchema>;
