import type { CompiledFlag, CompiledServe } from "./compiled-flag.js";
import type { Condition } from "./condition-schema.js";
import { attributeOf, type EvaluationContext, isContext, subjectText } from "./context.js";
import type { EvaluationTrace, TraceStep } from "./evaluation-trace.js";
import type { VariantValue } from "./flag-schema.js";
import { isValidPercentage, positionHundredths, toHundredths } from "./position.js";
import { NOT_EVALUABLE_RULE } from "./regex-safety.js";
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

/** What `explainFlag` renders: the evaluation's result and the trace it recorded on the way. */
export interface ExplainInput {
  flag: CompiledFlag | undefined;
  flagKey: string;
  context: unknown;
  result: EvaluationResult<VariantValue | undefined>;
  trace: EvaluationTrace;
  options: ExplainOptions;
}

/**
 * Renders a traced evaluation for a person. It walks the trace, not the flag: which steps ran and
 * what each saw are what evaluation recorded, so the story and the verdict cannot disagree.
 */
export function explainFlag(input: ExplainInput): Explanation {
  const { flag, flagKey, context, result, trace, options } = input;
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
  const subject = subjectText(ctx, flag.bucketBy);
  // The position evaluation used when a split was consulted; else where the subject would sit.
  const hundredths =
    result.position !== undefined
      ? Math.round(result.position * 100)
      : subject === undefined
        ? undefined
        : positionHundredths(flag.prefix, subject);
  const seen: Seen = { flag, context: ctx, subject, result };
  for (const recorded of trace) steps.push(renderStep(seen, recorded));

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
    summary: summarize({ result, hundredths, rollout, whatIf, decidedEarlier, steps }),
  };
}

/** What every step is rendered against. */
interface Seen {
  flag: CompiledFlag;
  context: EvaluationContext;
  subject: string | undefined;
  result: EvaluationResult<VariantValue | undefined>;
}

/** One recorded step in words. */
function renderStep({ flag, context, subject, result }: Seen, recorded: TraceStep): ExplainStep {
  const off = `"${flag.offVariant}"`;
  switch (recorded.step) {
    case "flag":
      return { step: "flag", outcome: "decided", detail: `flag "${flag.key}" does not exist` };
    case "context":
      return {
        step: "context",
        outcome: "decided",
        detail:
          recorded.problem === "invalid-subject"
            ? `the subject attribute "${flag.bucketBy}" is not a string or a number`
            : "the context is not an object of attributes",
      };
    case "enabled":
      return recorded.enabled
        ? { step: "enabled", outcome: "pass", detail: "flag is enabled" }
        : { step: "enabled", outcome: "decided", detail: `flag is disabled → ${off}` };
    case "schedule": {
      const window = `${flag.source.schedule?.start ?? "always"} … ${flag.source.schedule?.end ?? "forever"}`;
      return recorded.inside
        ? { step: "schedule", outcome: "pass", detail: `inside the schedule ${window}` }
        : {
            step: "schedule",
            outcome: "decided",
            detail: `now (${new Date(recorded.now).toISOString()}) is outside the schedule ${window} → ${off}`,
          };
    }
    case "prerequisite": {
      const prerequisite = flag.prerequisites[recorded.index]!;
      const detail = `flag "${prerequisite.key}" must serve "${prerequisite.variant}": ${recorded.met ? "it does" : "it does not"}`;
      return recorded.met
        ? { step: "prerequisite", outcome: "pass", detail }
        : { step: "prerequisite", outcome: "decided", detail: `${detail} → ${off}` };
    }
    case "override": {
      const source = flag.overrideSources.get(recorded.subject);
      return {
        step: "override",
        outcome: "decided",
        detail: `subject "${recorded.subject}" has ${source === "pinned" ? "a" : "an"} ${source} override → "${result.variant}"`,
      };
    }
    case "rule": {
      const rule = flag.rules[recorded.index]!;
      const conditions = flag.source.rules[recorded.index]?.conditions ?? [];
      const verdicts = recorded.conditions.map((holds, i) => {
        const condition = conditions[i];
        const actual =
          condition?.op === "inSegment"
            ? `subject ${JSON.stringify(subject)}`
            : `${condition?.attribute} = ${show(attributeOf(context, condition?.attribute ?? ""))}`;
        return { holds, text: `${condition ? describeCondition(condition) : "?"}: ${holds ? "yes" : "no"} (${actual})` };
      });
      if (!recorded.holds) {
        const description = flag.source.rules[recorded.index]?.description;
        if (description?.startsWith(NOT_EVALUABLE_RULE))
          return { step: "rule", outcome: "no-match", detail: `rule "${rule.id}" never matches: ${description}` };
        const failed = verdicts.filter((v) => !v.holds).map((v) => v.text);
        return { step: "rule", outcome: "no-match", detail: `rule "${rule.id}" does not match: ${failed.join("; ")}` };
      }
      // A split with no subject to place serves the off variant (MISSING_SUBJECT), even inside a rule.
      const at =
        result.position !== undefined
          ? ` at position ${result.position.toFixed(2)}`
          : result.reason === "MISSING_SUBJECT"
            ? `, but there is no subject in "${flag.bucketBy}" → excluded (${off})`
            : "";
      return {
        step: "rule",
        outcome: "decided",
        detail: `rule "${rule.id}" matches (${verdicts.map((v) => v.text).join("; ") || "no conditions"}) → ${describeServe(rule.serve)}${at}`,
      };
    }
    case "fallthrough": {
      const serve = flag.fallthrough;
      let detail: string;
      if (serve.fixed !== undefined) detail = `no rule matched → ${describeServe(serve)}`;
      else if (result.position === undefined) detail = `no subject in "${flag.bucketBy}" → excluded (${off})`;
      else detail = `${describeServe(serve)}: position ${result.position.toFixed(2)} → "${result.variant}"`;
      return { step: "fallthrough", outcome: "decided", detail };
    }
  }
}

interface SummaryInput {
  result: EvaluationResult<VariantValue | undefined>;
  hundredths: number | undefined;
  rollout: Explanation["rollout"];
  whatIf: Explanation["whatIf"];
  decidedEarlier: boolean;
  steps: ExplainStep[];
}

function summarize({ result, hundredths, rollout, whatIf, decidedEarlier, steps }: SummaryInput): string {
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
