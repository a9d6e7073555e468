import { createHash } from "node:crypto";
import { type EvaluationResult, type OfrepErrorCode, type OfrepFailure, type OfrepSuccess, subjectText } from "@darklaunch/core";
import type { EvaluationWrite } from "../evaluations/evaluation-store.js";

/** The core's error codes as OFREP's; TYPE_MISMATCH cannot happen here (OFREP sends no default). */
function ofrepCode(code: string | undefined): OfrepErrorCode {
  return code === "FLAG_NOT_FOUND" || code === "INVALID_CONTEXT" ? code : "GENERAL";
}

/**
 * One core result as OFREP's JSON. `reason` is OpenFeature's; darklaunch's own reason, the flag
 * version, the rule and the position travel in `metadata`.
 *
 * @example
 * toOfrep(snapshot.evaluate("checkout", { targetingKey: "u1" }));
 * // { key: "checkout", value: true, variant: "on", reason: "SPLIT", metadata: { flagVersion: 3, reason: "ROLLOUT_INCLUDED", position: 12.5 } }
 */
export function toOfrep(result: EvaluationResult<unknown>): OfrepSuccess | OfrepFailure {
  if (result.errorCode !== undefined) {
    return { key: result.flagKey, errorCode: ofrepCode(result.errorCode), errorDetails: result.errorMessage ?? "evaluation failed" };
  }
  const metadata: Record<string, string | number | boolean> = { reason: result.reason };
  if (result.flagVersion !== undefined) metadata.flagVersion = result.flagVersion;
  if (result.ruleId !== undefined) metadata.ruleId = result.ruleId;
  if (result.position !== undefined) metadata.position = result.position;
  return {
    key: result.flagKey,
    value: result.value,
    reason: result.openFeatureReason,
    ...(result.variant === undefined ? {} : { variant: result.variant }),
    metadata,
  };
}

/** The evaluations-log row of one OFREP evaluation. */
export function ofrepRecord(
  result: EvaluationResult<unknown>,
  context: Record<string, unknown>,
  bucketBy: string,
  at: string,
): EvaluationWrite {
  return {
    at,
    flag: result.flagKey,
    flagVersion: result.flagVersion ?? null,
    subject: subjectText(context, bucketBy) ?? null,
    variant: result.variant ?? null,
    verdict: result.included ? "include" : "exclude",
    reason: result.reason,
    position: result.position ?? null,
    source: "ofrep",
  };
}

/** JSON with object keys sorted, so that `{a, b}` and `{b, a}` hash alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The bulk call's ETag: the ruleset revision and the context, hashed. The variants served are
 * hashed in too, because a schedule can change an answer at a given time without any write.
 */
export function bulkEtag(revision: number, context: unknown, results: readonly EvaluationResult<unknown>[]): string {
  const hash = createHash("sha256").update(`${revision}\n${canonical(context)}\n`);
  for (const r of results) hash.update(`${r.flagKey}=${r.variant ?? ""}/${r.reason}\n`);
  return `"${hash.digest("base64url").slice(0, 32)}"`;
}
