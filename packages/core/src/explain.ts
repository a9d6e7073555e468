import type { CompiledFlag, CompiledServe } from "./compiled-flag.js";
import type { Condition } from "./condition-schema.js";
import { attributeOf, type EvaluationContext, INVALID_SUBJECT, isContext, subjectOf } from "./context.js";
import type { VariantValue } from "./flag-schema.js";
import { isValidPercentage, positionHundredths, toHundredths } from "./position.js";
import type { EvaluationResult, Reason } from "./result.js";
import { formatPercentage, rolloutOf } from "./rollout.js";

export interface ExplainOptions {
  /** What-if: the verdict if the rollout were at this percentage (0–100, two decimals). */
  percentage?: number;
}

/** One step of evaluation as `explain` saw it. */
export interface ExplainStep {
  step: "flag" | "context" | "enabled" | "schedule" | "prerequisite" | "override" | "rule" | "fallthrough";
  /** `pass`: evaluation went on; `decided`: this step chose the result; `no-match`: a rule did not hold. */
  outcome: "pass" | "decided" | "no-match";
  detail: string;
}

/** Why a subject gets what it gets, for `darklaunch check` and the check endpoint. */
export interface Explanation {
  flagKey: string;
  flagVersion: number | undefined;
  subject: string | undefined;
  bucketBy: string | undefined;
  salt: string | undefined;
  /** Position in [0, 99.99], whenever there is a subject (even when an earlier step decided). */
  position: number | undefined;
  result: EvaluationResult<VariantValue | undefined>;
  decidedBy: Reason;
  ruleId: string | undefined;
  steps: ExplainStep[];
  /** The fallthrough read as a rollout, with this subject's verdict and the percentage that includes it. */
  rollout: { percentage: number; included: boolean; includedFrom: number | undefined } | undefined;
  whatIf: { percentage: number; included: boolean; decidedEarlier: boolean } | undefined;
  /** One line: `position 60.51 → excluded at 10 %, included from 60.52 %`. */
  summary: string;
}

function describeCondition(condition: Condition): string {
  const shown = condition.values.slice(0, 5).map((v) => JSON.stringify(v));
  const more = condition.values.length > 5 ? `, … ${condition.values.length - 5} more` : "";
  const subject = condition.op === "inSegment" ? "subject" : (condition.attribute ?? "");
  return `${subject} ${condition.negate ? "not " : ""}${condition.op} [${shown.join(", ")}${more}]`;
}

/** A context value for a person to read; contexts may hold what JSON cannot (BigInt, cycles). */
function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function describeServe(serve: CompiledServe): string {
  if (serve.serve.variant !== undefined) return `variant "${serve.serve.variant}"`;
  return `split ${(serve.serve.split ?? []).map((e) => `${e.variant} ${formatPercentage(e.weight)} %`).join(" / ")}`;
}

function position(hundredths: number | undefined): string {
  return hundredths === undefined ? "" : (hundredths / 100).toFixed(2);
}

export function explainFlag(
  flag: CompiledFlag | undefined,
  flagKey: string,
  context: unknown,
  result: EvaluationResult<VariantValue | undefined>,
  options: ExplainOptions,
): Explanation {
  const steps: ExplainStep[] = [];
  const base = {
    flagKey,
    flagVersion: flag?.version,
    bucketBy: flag?.bucketBy,
    salt: flag?.salt,
    result,
    decidedBy: result.reason,
    ruleId: result.ruleId,
    steps,
  };
  if (options.percentage !== undefined && !isValidPercentage(options.percentage)) {
    steps.push({
      step: "flag",
      // Evaluation goes on without the what-if; only one step decides the result.
      outcome: "pass",
      detail: `what-if percentage ${options.percentage} is not from 0 to 100 with two decimals`,
    });
  }
  if (flag === undefined || !isContext(context)) {
    const detail = flag === undefined ? `flag "${flagKey}" does not exist` : "the context is not an object of attributes";
    steps.push({ step: flag === undefined ? "flag" : "context", outcome: "decided", detail });
    return { ...base, subject: undefined, position: undefined, rollout: undefined, whatIf: undefined, summary: detail };
  }
  const ctx = context as EvaluationContext;
  const rawSubject = subjectOf(ctx, flag.bucketBy);
  const subject = typeof rawSubject === "string" ? rawSubject : undefined;
  const hundredths = subject === undefined ? undefined : positionHundredths(flag.prefix, subject);
  const decided = (step: ExplainStep["step"], detail: string) => steps.push({ step, outcome: "decided", detail });

  const walk = (): void => {
    if (!flag.source.enabled) {
      decided("enabled", `flag is disabled → "${flag.offVariant}"`);
      return;
    }
    steps.push({ step: "enabled", outcome: "pass", detail: "flag is enabled" });
    if (flag.hasSchedule) {
      const now = flag.currentTime();
      const window = `${flag.source.schedule?.start ?? "always"} … ${flag.source.schedule?.end ?? "forever"}`;
      if (!flag.inSchedule(now)) {
        decided("schedule", `now (${new Date(now).toISOString()}) is outside the schedule ${window} → "${flag.offVariant}"`);
        return;
      }
      steps.push({ step: "schedule", outcome: "pass", detail: `inside the schedule ${window}` });
    }
    for (const prerequisite of flag.prerequisites) {
      const met = flag.prerequisiteMet(prerequisite, ctx);
      const detail = `flag "${prerequisite.key}" must serve "${prerequisite.variant}": ${met ? "it does" : "it does not"}`;
      if (!met) {
        decided("prerequisite", `${detail} → "${flag.offVariant}"`);
        return;
      }
      steps.push({ step: "prerequisite", outcome: "pass", detail });
    }
    if (rawSubject === INVALID_SUBJECT) {
      decided("context", `the subject attribute "${flag.bucketBy}" is not a string or a number`);
      return;
    }
    const override = subject === undefined ? undefined : flag.overrides.get(subject);
    if (override !== undefined) {
      const source = flag.overrideSources.get(subject ?? "");
      decided("override", `subject "${subject}" has ${source === "pinned" ? "a" : "an"} ${source} override → "${override.variant}"`);
      return;
    }
    for (const rule of flag.rules) {
      const source = flag.source.rules.find((r) => r.id === rule.id);
      const verdicts = rule.conditionTests.map((test, i) => {
        const condition = source?.conditions[i];
        const holds = test(ctx, subject);
        const actual =
          condition?.op === "inSegment"
            ? `subject ${JSON.stringify(subject)}`
            : `${condition?.attribute} = ${show(attributeOf(ctx, condition?.attribute ?? ""))}`;
        return { holds, text: `${condition ? describeCondition(condition) : "?"}: ${holds ? "yes" : "no"} (${actual})` };
      });
      if (verdicts.every((v) => v.holds)) {
        decided(
          "rule",
          `rule "${rule.id}" matches (${verdicts.map((v) => v.text).join("; ") || "no conditions"}) → ${describeServe(rule.serve)}${hundredths !== undefined && rule.serve.fixed === undefined ? ` at position ${position(hundredths)}` : ""}`,
        );
        return;
      }
      steps.push({
        step: "rule",
        outcome: "no-match",
        detail: `rule "${rule.id}" does not match: ${verdicts
          .filter((v) => !v.holds)
          .map((v) => v.text)
          .join("; ")}`,
      });
    }
    const serve = flag.fallthrough;
    if (serve.fixed !== undefined) decided("fallthrough", `no rule matched → ${describeServe(serve)}`);
    else if (hundredths === undefined) decided("fallthrough", `no subject in "${flag.bucketBy}" → excluded ("${flag.offVariant}")`);
    else decided("fallthrough", `${describeServe(serve)}: position ${position(hundredths)} → "${result.variant}"`);
  };
  walk();

  const shape = rolloutOf(flag.source);
  const rollout =
    shape === undefined || hundredths === undefined
      ? undefined
      : {
          percentage: shape.percentage,
          included: hundredths < toHundredths(shape.percentage),
          includedFrom: (hundredths + 1) / 100,
        };
  const decidedEarlier =
    result.reason !== "ROLLOUT_INCLUDED" &&
    result.reason !== "ROLLOUT_EXCLUDED" &&
    result.reason !== "FALLTHROUGH" &&
    result.reason !== "MISSING_SUBJECT";
  const whatIf =
    options.percentage === undefined || hundredths === undefined || !isValidPercentage(options.percentage)
      ? undefined
      : { percentage: options.percentage, included: hundredths < toHundredths(options.percentage), decidedEarlier };

  return {
    ...base,
    subject,
    position: hundredths === undefined ? undefined : hundredths / 100,
    rollout,
    whatIf,
    summary: summarize(result, hundredths, rollout, whatIf, decidedEarlier, steps),
  };
}

function summarize(
  result: EvaluationResult<VariantValue | undefined>,
  hundredths: number | undefined,
  rollout: Explanation["rollout"],
  whatIf: Explanation["whatIf"],
  decidedEarlier: boolean,
  steps: ExplainStep[],
): string {
  const parts: string[] = [];
  if (rollout !== undefined && hundredths !== undefined) {
    const verdict = rollout.included ? "included" : "excluded";
    const from = rollout.includedFrom === undefined ? "" : `, included from ${formatPercentage(rollout.includedFrom)} %`;
    const rolloutText = `position ${position(hundredths)} → ${verdict} at ${formatPercentage(rollout.percentage)} %${from}`;
    if (decidedEarlier) {
      const step = steps.at(-1)?.detail ?? result.reason;
      parts.push(`${step}; the rollout does not apply (${rolloutText})`);
    } else {
      parts.push(rolloutText);
    }
  } else {
    parts.push(steps.at(-1)?.detail ?? result.reason);
    if (hundredths !== undefined && !steps.at(-1)?.detail.includes("position")) parts.push(`position ${position(hundredths)}`);
  }
  if (whatIf !== undefined) {
    const verdict = whatIf.included ? "included" : "excluded";
    parts.push(
      whatIf.decidedEarlier
        ? `at ${formatPercentage(whatIf.percentage)} % still decided before the rollout`
        : `at ${formatPercentage(whatIf.percentage)} %: ${verdict}`,
    );
  }
  return parts.join("; ");
}
