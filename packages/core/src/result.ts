import type { VariantValue } from "./flag-schema.js";

/** Why a flag served what it served (docs/architecture.md#order-of-evaluation), in the order evaluation tries them. */
export const REASONS = [
  "DISABLED",
  "SCHEDULED_OFF",
  "PREREQUISITE_FAILED",
  "OVERRIDE",
  "RULE_MATCH",
  "ROLLOUT_INCLUDED",
  "ROLLOUT_EXCLUDED",
  "FALLTHROUGH",
  "MISSING_SUBJECT",
  "ERROR",
] as const;

export type Reason = (typeof REASONS)[number];

/** OpenFeature's error codes that evaluation can produce. */
export type EvaluationErrorCode = "FLAG_NOT_FOUND" | "TYPE_MISMATCH" | "INVALID_CONTEXT" | "GENERAL";

/** OpenFeature's standard resolution reasons. */
export type OpenFeatureReason = "DISABLED" | "TARGETING_MATCH" | "SPLIT" | "DEFAULT" | "STATIC" | "ERROR";

/**
 * The outcome of one evaluation. Every field is always present (possibly `undefined`) so that every
 * result has one shape; `JSON.stringify` leaves the undefined ones out.
 */
export interface EvaluationResult<T = VariantValue> {
  readonly flagKey: string;
  /** The variant served; undefined on an error, when the caller's default is returned. */
  readonly variant: string | undefined;
  readonly value: T;
  readonly reason: Reason;
  readonly openFeatureReason: OpenFeatureReason;
  /** True when the served variant is not the flag's off variant: the subject is in the launch. */
  readonly included: boolean;
  readonly ruleId: string | undefined;
  /** The subject's position in [0, 99.99] when a split was consulted. */
  readonly position: number | undefined;
  readonly flagVersion: number | undefined;
  readonly errorCode: EvaluationErrorCode | undefined;
  readonly errorMessage: string | undefined;
}

/**
 * darklaunch's reason → OpenFeature's. `FALLTHROUGH` is `STATIC` for a flag with no targeting at all
 * (nothing about the context could change the answer) and `DEFAULT` otherwise.
 */
export function toOpenFeatureReason(reason: Reason, staticFlag = false): OpenFeatureReason {
  switch (reason) {
    case "DISABLED":
    case "SCHEDULED_OFF":
      return "DISABLED";
    case "OVERRIDE":
    case "RULE_MATCH":
      return "TARGETING_MATCH";
    case "ROLLOUT_INCLUDED":
    case "ROLLOUT_EXCLUDED":
      return "SPLIT";
    case "FALLTHROUGH":
      return staticFlag ? "STATIC" : "DEFAULT";
    case "PREREQUISITE_FAILED":
    case "MISSING_SUBJECT":
      return "DEFAULT";
    case "ERROR":
      return "ERROR";
  }
}

/** What a served (not error) result says; `ruleId` and `position` are left out when they do not apply. */
export interface ServedResult<T> {
  flagKey: string;
  variant: string;
  value: T;
  reason: Reason;
  openFeatureReason: OpenFeatureReason;
  included: boolean;
  ruleId?: string | undefined;
  position?: number | undefined;
  flagVersion: number;
}

/**
 * A served result with every field present, in the one order all results share (one hidden class).
 * Compiled flags build their results with it once, at compile time; a split's result, the one built
 * per evaluation, comes from `atPosition`.
 */
export function makeResult<T>(fields: ServedResult<T>): EvaluationResult<T> {
  return {
    flagKey: fields.flagKey,
    variant: fields.variant,
    value: fields.value,
    reason: fields.reason,
    openFeatureReason: fields.openFeatureReason,
    included: fields.included,
    ruleId: fields.ruleId,
    position: fields.position,
    flagVersion: fields.flagVersion,
    errorCode: undefined,
    errorMessage: undefined,
  };
}

/**
 * A precomputed result at a subject's position: the hot path of a split, so one allocation (the
 * result) and no options object.
 */
export function atPosition<T>(template: EvaluationResult<T>, position: number): EvaluationResult<T> {
  return {
    flagKey: template.flagKey,
    variant: template.variant,
    value: template.value,
    reason: template.reason,
    openFeatureReason: template.openFeatureReason,
    included: template.included,
    ruleId: template.ruleId,
    position,
    flagVersion: template.flagVersion,
    errorCode: undefined,
    errorMessage: undefined,
  };
}

/** What an error result says: the caller's default is returned as `value`. */
export interface ErrorResultFields<T> {
  flagKey: string;
  defaultValue: T;
  errorCode: EvaluationErrorCode;
  errorMessage: string;
  flagVersion?: number | undefined;
}

/** The caller's default with `reason: ERROR`: what evaluation returns instead of throwing. */
export function errorResult<T>(fields: ErrorResultFields<T>): EvaluationResult<T> {
  return {
    flagKey: fields.flagKey,
    variant: undefined,
    value: fields.defaultValue,
    reason: "ERROR",
    openFeatureReason: "ERROR",
    included: false,
    ruleId: undefined,
    position: undefined,
    flagVersion: fields.flagVersion,
    errorCode: fields.errorCode,
    errorMessage: fields.errorMessage,
  };
}

/** The type family of a value, as flags and callers' defaults are compared: boolean, string, number, json. */
export function valueType(value: unknown): "boolean" | "string" | "number" | "json" | "other" {
  switch (typeof value) {
    case "boolean":
      return "boolean";
    case "string":
      return "string";
    case "number":
      return "number";
    case "object":
      return value === null ? "other" : "json";
    default:
      return "other";
  }
}
