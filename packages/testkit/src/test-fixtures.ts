/**
 * Typed access to `fixtures/evaluation-cases.json`, the (ruleset, context) → result contract that
 * every package which evaluates flags runs through itself.
 *
 * @example
 * const fixtures = loadEvaluationFixtures();
 * for (const c of fixtures.cases) sdk.evaluate(c.flag, c.context, c.default); // compare with c.expect
 */
import { readFileSync } from "node:fs";
import type { EvaluationErrorCode, Reason, RulesetInput, VariantValue } from "@darklaunch/core";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What an evaluation must return. An absent field must be undefined in the result. */
export interface ExpectedEvaluation {
  variant?: string;
  /** Absent only for an error evaluated without a caller's default. */
  value?: VariantValue;
  reason: Reason;
  errorCode?: EvaluationErrorCode;
  ruleId?: string;
  /** Exact, in hundredths: computed with node:crypto from the position formula (core's `position`). */
  position?: number;
}

export interface EvaluationCase {
  name: string;
  /** A key of `EvaluationFixtures.rulesets`. */
  ruleset: string;
  flag: string;
  /** Any JSON: arrays, strings and numbers are there to provoke INVALID_CONTEXT. */
  context: JsonValue;
  /** The caller's default; absent means the caller passed none. */
  default?: VariantValue;
  /** ISO 8601 clock for schedules; absent means `EvaluationFixtures.now`. */
  now?: string;
  expect: ExpectedEvaluation;
}

export interface ExpectedProblem {
  path: string;
  messageIncludes: string;
}

export interface InvalidRulesetCase {
  name: string;
  /** Any JSON, deliberately wrong. */
  ruleset: JsonValue;
  /** Problems that must all be reported; others may be reported too. */
  problems: ExpectedProblem[];
}

export interface EvaluationFixtures {
  description: string[];
  /** The clock of cases that do not set their own `now`. */
  now: string;
  rulesets: Record<string, RulesetInput>;
  cases: EvaluationCase[];
  invalid: InvalidRulesetCase[];
}

/** The fixture file; this module sits three levels below the repository root (packages/testkit/src). */
export const EVALUATION_FIXTURES_URL = new URL("../../../fixtures/evaluation-cases.json", import.meta.url);

/** Reads and parses the fixture file, failing loudly if its top-level shape is not the documented one. */
export function loadEvaluationFixtures(): EvaluationFixtures {
  const parsed: unknown = JSON.parse(readFileSync(EVALUATION_FIXTURES_URL, "utf8"));
  const file = parsed as Partial<Record<keyof EvaluationFixtures, unknown>>;
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    !Array.isArray(file.description) ||
    typeof file.now !== "string" ||
    typeof file.rulesets !== "object" ||
    file.rulesets === null ||
    !Array.isArray(file.cases) ||
    !Array.isArray(file.invalid)
  ) {
    throw new Error(`${EVALUATION_FIXTURES_URL.pathname} is not { description, now, rulesets, cases, invalid }`);
  }
  return parsed as EvaluationFixtures;
}

/** The epoch milliseconds a case's clock reads. */
export function caseTime(fixtures: EvaluationFixtures, evaluationCase: EvaluationCase): number {
  return Date.parse(evaluationCase.now ?? fixtures.now);
}
