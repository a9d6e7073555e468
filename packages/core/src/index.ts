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
export { LatencyReservoir, type Random, RESERVOIR_CAPACITY } from "./latency-reservoir.js";
export { emptySketchData, LatencySketch, SKETCH_RELATIVE_ACCURACY, type SketchData } from "./latency-sketch.js";
export { md5Hex } from "./md5.js";
export { DEFAULT_NOISE_THRESHOLDS, type FieldCounts, isSignificant, type NoiseThresholds } from "./noise-rule.js";
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
  mergeWindows,
  minuteOf,
  OBSERVATION_SOURCES,
  type ObservationBatch,
  ObservationBatchSchema,
  type ObservationSource,
  type ObservationWindow,
  ObservationWindowSchema,
  OTHER_FIELDS,
  parseObservationBatch,
  SIDES,
  type Side,
  type SideWindow,
  windowKey,
} from "./observation-window.js";
export { isRecord, positive } from "./option-checks.js";
export { compilePathPattern, type PathPattern } from "./path-pattern.js";
export { isValidPercentage, POSITION_SCALE, position, positionSql, toHundredths } from "./position.js";
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
export { ALWAYS_REDACTED_HEADERS, compileRedactor, type RedactedHeaders, type Redactor } from "./redactor.js";
export { MAX_REGEX_LENGTH } from "./regex-safety.js";
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
export { compareSemver, parseSemver, type SemVer } from "./semver.js";
export { type CompileOptions, compile, Snapshot } from "./snapshot.js";
export {
  formatPath,
  onVariants,
  parseFlag,
  parseRuleset,
  type Validation,
  validateFlag,
  validateOverride,
  validateRuleset,
  validateSegment,
} from "./validate.js";
