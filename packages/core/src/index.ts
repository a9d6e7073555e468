/**
 * @darklaunch/core — the evaluation engine every part of darklaunch runs: the flag model and its
 * schemas, deterministic bucketing, evaluation, explanation. Pure TypeScript, no I/O.
 *
 * @example
 * import { compile } from "@darklaunch/core";
 * const snapshot = compile({ flags: [{ key: "checkout-v2", variants: { on: true, off: false },
 *   offVariant: "off", enabled: true,
 *   fallthrough: { split: [{ variant: "on", weight: 10 }, { variant: "off", weight: 90 }] } }] });
 * snapshot.evaluate("checkout-v2", { id: "u42" }, false); // { value, variant, reason, position, … }
 */

export { type Comparator, compareResponses, compileComparator } from "./compare-responses.js";
export type { Condition, Operator } from "./condition-schema.js";
export { ConditionSchema, MAX_CONDITION_VALUES, OPERATORS } from "./condition-schema.js";
export { type EvaluationContext, subjectText } from "./context.js";
export { parseIsoDate } from "./dates.js";
export {
  type ComparedResponse,
  type CompareOptions,
  type ComparisonResult,
  type Difference,
  type DifferenceKind,
  REDACTED,
  type RedactionOptions,
} from "./difference.js";
// ---- business metrics: distinct counts, windows, attribution (docs/architecture.md#business-metrics)
export {
  DISTINCT_EXACT_LIMIT,
  DistinctSketch,
  type DistinctSketchData,
  DistinctSketchSchema,
  distinctHash,
  emptyDistinct,
  mergeDistinct,
} from "./distinct-sketch.js";
export { DarkLaunchError, formatProblem, type Problem, ValidationError } from "./errors.js";
export type { ExplainOptions, ExplainStep, Explanation } from "./explain.js";
export type {
  Flag,
  FlagInput,
  Override,
  OverrideInput,
  Rule,
  Ruleset,
  RulesetInput,
  Segment,
  SegmentInput,
  Serve,
  VariantValue,
} from "./flag-schema.js";
export {
  FLAG_KINDS,
  FlagSchema,
  IsoDateSchema,
  KeySchema,
  OVERRIDE_SOURCES,
  OverrideSchema,
  PercentageSchema,
  RuleSchema,
  SegmentSchema,
  ServeSchema,
} from "./flag-schema.js";
export { groupBy } from "./group-by.js";
export { pathDeeperThan } from "./json-depth.js";
// ---- the judge: anytime-valid verdicts over per-minute observations --------------------------
export {
  BUSINESS_MULTIPLIERS,
  type BusinessMetricArm,
  type BusinessMetricDefinition,
  type BusinessMetricInput,
  type BusinessMetricMinute,
  businessMetricName,
} from "./judge/business-metric.js";
export { eBenjaminiHochberg } from "./judge/e-bh.js";
export { darkRequestsNeeded } from "./judge/evidence-needed.js";
export { analysisSeries, type JudgeInput, judge } from "./judge/judge.js";
export { type JudgeMinute, type JudgeRouteMinute, type JudgeSide, judgeMinutes } from "./judge/judge-input.js";
export {
  DEFAULT_JUDGE_SETTINGS,
  JUDGE_METRICS,
  type JudgeMetric,
  type JudgeSettings,
  type JudgeSettingsInput,
  JudgeSettingsSchema,
  overlayJudgeSettings,
  parseJudgeSettings,
} from "./judge/judge-settings.js";
export {
  type BusinessEstimate,
  type DiagnosticRow,
  type EvidenceNeeded,
  type EvidenceSide,
  type HealthReport,
  JUDGE_STATES,
  type JudgeAction,
  type JudgeState,
  type JudgeVerdict,
  type MetricCounts,
  type MetricEvidenceNeeded,
  type MetricVerdict,
  type SeriesMinute,
  type SeriesPoint,
} from "./judge/judge-types.js";
export { MEAN_EFFECTS, MeanRatioEProcess } from "./judge/mean-e-process.js";
export { type Direction, EFFECT_MULTIPLIERS, RatioEProcess } from "./judge/ratio-e-process.js";
export { LatencyReservoir, type Random, RESERVOIR_CAPACITY } from "./latency-reservoir.js";
export { emptySketchData, LatencySketch, SKETCH_RELATIVE_ACCURACY, type SketchData } from "./latency-sketch.js";
export { md5Hex } from "./md5.js";
export {
  type Attribution,
  attributeEvent,
  type BusinessArmCounts,
  type BusinessMinuteCounts,
  businessMinutes,
  collapseByKey,
  type EventBatch,
  EventBatchSchema,
  type ExposureWindow,
  ExposureWindowSchema,
  exposureKey,
  exposureOf,
  MAX_EVENTS_PER_BATCH,
  MAX_METRIC_WINDOWS_PER_BATCH,
  type MetricBatch,
  MetricBatchSchema,
  MetricCounter,
  type MetricWindow,
  MetricWindowSchema,
  mergeExposureWindows,
  mergeMetricWindows,
  metricWindowKey,
  parseMetricBatch,
} from "./metric-window.js";
export { DEFAULT_NOISE_THRESHOLDS, type FieldCounts, isSignificant, type NoiseThresholds } from "./noise-rule.js";
export type { PairedObservation } from "./observation-recorder.js";
export {
  type ComparisonObservation,
  type ComparisonVerdict,
  ObservationRecorder,
  type ObservationRecorderOptions,
  type RequestObservation,
  type SampleRedactor,
} from "./observation-recorder.js";
export {
  type ComparisonSummary,
  type FieldReport,
  fieldReports,
  type SideSummary,
  summarizeComparison,
  summarizeSide,
  totalWindows,
  type WindowTotals,
} from "./observation-summary.js";
export {
  type ComparisonCounts,
  emptyWindow,
  MAX_DIFFERENCES_PER_SAMPLE,
  MAX_FIELDS_PER_WINDOW,
  MAX_SAMPLES_PER_WINDOW,
  MAX_WINDOWS_PER_BATCH,
  type MismatchSample,
  mergePaired,
  mergeWindows,
  minuteOf,
  OBSERVATION_SOURCES,
  type ObservationBatch,
  ObservationBatchSchema,
  type ObservationSource,
  type ObservationWindow,
  ObservationWindowSchema,
  OTHER_FIELDS,
  PAIRED_LATENCY_BAND,
  type PairedCounts,
  pairCount,
  pairedLatencyOutcome,
  parseObservationBatch,
  SIDES,
  type Side,
  type SideWindow,
  windowKey,
} from "./observation-window.js";
export { isRecord, positive } from "./option-checks.js";
export { compilePathPattern, type PathPattern } from "./path-pattern.js";
export { isValidPercentage, POSITION_SCALE, position, positionSql, toHundredths } from "./position.js";
export * from "./protocol/alerts.js";
export * from "./protocol/audit.js";
export * from "./protocol/check.js";
export * from "./protocol/errors.js";
export * from "./protocol/evaluations.js";
export * from "./protocol/flags.js";
export * from "./protocol/health.js";
export * from "./protocol/judge-settings.js";
export * from "./protocol/limits.js";
export * from "./protocol/metrics.js";
export * from "./protocol/observations.js";
export * from "./protocol/ofrep.js";
export * from "./protocol/overrides.js";
export * from "./protocol/ramps.js";
export {
  decodeSdkEvent,
  RevisionSchema,
  SDK_STREAM_EVENTS,
  type SdkDelete,
  SdkDeleteSchema,
  type SdkHeartbeat,
  SdkHeartbeatSchema,
  type SdkPatch,
  type SdkPatchMessage,
  SdkPatchSchema,
  type SdkPut,
  type SdkPutMessage,
  SdkPutSchema,
  type SdkStreamEventName,
  type SdkStreamMessage,
} from "./protocol/sdk-stream.js";
export * from "./protocol/segments.js";
export {
  MAX_TELEMETRY_COUNTS,
  MAX_TELEMETRY_SAMPLES,
  type TelemetryBatch,
  type TelemetryBatchInput,
  TelemetryBatchSchema,
  type TelemetryCount,
  TelemetryCountSchema,
  type TelemetrySample,
  TelemetrySampleSchema,
} from "./protocol/telemetry-batch.js";
export * from "./protocol/time-params.js";
export * from "./protocol/tokens.js";
// Ramps: plan, state machine, manual controls, the split a step means for a flag.
export * from "./ramp/index.js";
export { ALWAYS_REDACTED_HEADERS, compileRedactor, type RedactedHeaders, type Redactor } from "./redactor.js";
export { MAX_REGEX_LENGTH, MAX_REGEX_PROGRAM, NEVER_MATCHING_REGEX, NOT_EVALUABLE_RULE, regexProblem } from "./regex-safety.js";
export {
  type EvaluationErrorCode,
  type EvaluationResult,
  errorResult,
  type OpenFeatureReason,
  REASONS,
  type Reason,
  toOpenFeatureReason,
} from "./result.js";
export { formatPercentage, type Rollout, rolloutOf, routingFormula, withRollout } from "./rollout.js";
export { hideSecretQuery } from "./secret-query.js";
// The control plane's REST and OFREP contract: one schema per message, imported by every side.
export { seededRandom } from "./seeded-random.js";
export { compareSemver, parseSemver, type SemVer } from "./semver.js";
export { type SharedResults, sharedSlot } from "./shared-results.js";
export { type CompileOptions, compile, Snapshot } from "./snapshot.js";
export {
  formatPath,
  MAX_INPUT_DEPTH,
  MAX_VARIANT_DEPTH,
  onVariants,
  parseFlag,
  parseRuleset,
  type Validation,
  validateFlag,
  validateOverride,
  validateRuleset,
  validateSegment,
} from "./validate.js";
