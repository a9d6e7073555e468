import { z } from "zod";
import { IsoDateSchema, KeySchema } from "../flag-schema.js";

/**
 * Business metrics (docs/architecture.md#business-metrics): what a team names as "sales" for a
 * flag, so the judge watches it beside errors and latency.
 */

/**
 * What is compared between dark and the baseline, per minute and per subject exposed that minute
 * (distinct subjects that evaluated the flag):
 * - `conversion`: the share of exposed subjects that converted, a subject converting when it has at
 *   least one event in the minute (several events count once);
 * - `count`: events per exposed subject;
 * - `value`: Σ value per exposed subject (revenue per subject), NOT the mean value per event: it
 *   moves with how many subjects buy and with what they spend, and a subject with no event adds 0.
 */
export const METRIC_KINDS = ["conversion", "count", "value"] as const;

/** One line per kind, for OpenAPI and help texts. */
export const METRIC_KIND_HELP =
  "conversion: share of exposed subjects with ≥ 1 event in the minute; count: events per exposed subject; value: Σ value per exposed subject (revenue per subject, not the mean per event)";
export type MetricKind = (typeof METRIC_KINDS)[number];

/** Which way is better: `up` (sales) or `down` (refunds, support tickets). */
export const METRIC_DIRECTIONS = ["up", "down"] as const;
export type MetricDirection = (typeof METRIC_DIRECTIONS)[number];

/** Metrics one flag may have. */
export const MAX_METRICS_PER_FLAG = 20;
/** Longest event name. */
export const MAX_EVENT_NAME_LENGTH = 128;

const METRIC_KEY = /^[a-z0-9][a-z0-9_.-]*$/;
const EVENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/;

/** A metric's name: lower case, digits, `_`, `.`, `-` (it appears in verdicts, URLs and logs). */
export const MetricKeySchema = z
  .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(METRIC_KEY, "must start with a lower-case letter or digit and hold only a-z, 0-9, '.', '_' and '-'");

/** An event name as `track(event, …)` sends it. */
export const EventNameSchema = z
  .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
  .min(1, "must not be empty")
  .max(MAX_EVENT_NAME_LENGTH, `must be at most ${MAX_EVENT_NAME_LENGTH} characters`)
  .regex(EVENT_NAME, "must start with a letter or digit and hold only letters, digits, '.', '_', ':', '/' and '-'");

const oneOf = (values: readonly string[]) => (issue: { input?: unknown }) =>
  issue.input === undefined
    ? `is required: one of ${values.join(", ")}`
    : `must be one of ${values.join(", ")}, got ${JSON.stringify(issue.input)}`;

/**
 * Relative change the dark path may be worse by before it counts as harm: 0.02 = 2 % worse is
 * still fine. At most 1 (100 %).
 */
export const ToleranceSchema = z
  .number({ error: "must be a number (0.02 = may be 2 % worse)" })
  .min(0, "must be ≥ 0 (0.02 = may be 2 % worse)")
  .max(1, "must be ≤ 1 (100 %)");

/** A flag's business metric as stored and served (to the API, the judge and SDKs). */
export const MetricDefinitionSchema = z.object({
  key: MetricKeySchema,
  flagKey: KeySchema,
  event: EventNameSchema,
  kind: z.enum(METRIC_KINDS).describe(METRIC_KIND_HELP),
  direction: z.enum(METRIC_DIRECTIONS),
  tolerance: ToleranceSchema,
  /** Critical metrics may roll a ramp back; the others are watched only (diagnostics). */
  critical: z.boolean(),
  createdAt: IsoDateSchema,
  updatedAt: IsoDateSchema,
});
export type MetricDefinition = z.output<typeof MetricDefinitionSchema>;

/** `{key}/metrics/{metric}` in a path. */
export const MetricParams = z.strictObject({ key: KeySchema, metric: MetricKeySchema });

/**
 * `POST /flags/{key}/metrics`: creates or replaces the metric named `key` (default
 * `<event>_<kind>`, see `defaultMetricKey`).
 */
export const MetricRequestSchema = z.strictObject({
  key: MetricKeySchema.optional(),
  event: EventNameSchema,
  kind: z.enum(METRIC_KINDS, { error: oneOf(METRIC_KINDS) }).describe(METRIC_KIND_HELP),
  direction: z.enum(METRIC_DIRECTIONS, { error: oneOf(METRIC_DIRECTIONS) }),
  tolerance: ToleranceSchema.default(0),
  critical: z.boolean({ error: "must be true or false" }).default(false),
});
export type MetricRequest = z.input<typeof MetricRequestSchema>;

/** The name a metric gets when none is given: its event and kind, folded to a metric key. */
export function defaultMetricKey(event: string, kind: MetricKind): string {
  const folded = event.toLowerCase().replace(/[^a-z0-9_.-]+/g, "_");
  return `${folded}_${kind}`.slice(0, 64);
}

export const MetricListResponse = z.object({ metrics: z.array(MetricDefinitionSchema) });
export type MetricListResponse = z.output<typeof MetricListResponse>;

/** `POST /sdk/metrics`: windows stored, and those skipped because no flag has their key. */
export const MetricRecordResultSchema = z.object({
  accepted: z.number().int(),
  skipped: z.array(z.object({ flag: z.string(), reason: z.enum(["UNKNOWN_FLAG"]) })),
  /** The length of the windows this server takes (60 000 but in tests and demos): reporters learn their minute from it. */
  minuteMs: z.number().int(),
});
export type MetricRecordResult = z.output<typeof MetricRecordResultSchema>;

/**
 * `POST /events`: events received, attributions made (an event counts once per metric watching it
 * whose flag gives the context a variant), exposures counted.
 */
export const EventRecordResultSchema = z.object({
  events: z.number().int(),
  attributed: z.number().int(),
  exposures: z.number().int(),
});
export type EventRecordResult = z.output<typeof EventRecordResultSchema>;
