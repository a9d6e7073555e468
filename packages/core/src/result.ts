import type { VariantValue } from "./flag-schema.js";

/** Why a flag served what it served (DESIGN §3.3), in the order evaluation tries them. */
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

export function makeResult<T>(
  flagKey: string,
  variant: string | undefined,
  value: T,
  reason: Reason,
  openFeatureReason: OpenFeatureReason,
  included: boolean,
  ruleId: string | undefined,
  position: number | undefined,
  flagVersion: number | undefined,
): EvaluationResult<T> {
  return {
    flagKey,
    variant,
    value,
    reason,
    openFeatureReason,
    included,
    ruleId,
    position,
    flagVersion,
    errorCode: undefined,
    errorMessage: undefined,
  };
}

/** The caller's default with `reason: ERROR`: what evaluation returns instead of throwing. */
export function errorResult<T>(
  flagKey: string,
  defaultValue: T,
  errorCode: EvaluationErrorCode,
  errorMessage: string,
  flagVersion?: number,
): EvaluationResult<T> {
  return {
    flagKey,
    variant: undefined,
    value: defaultValue,
    reason: "ERROR",
    openFeatureReason: "ERROR",
    included: false,
    ruleId: undefined,
    position: undefined,
    flagVersion,
    errorCode,
    errorMessage,
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
