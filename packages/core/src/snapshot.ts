import { allOf, type CompiledSegment, compileCondition } from "./compile-condition.js";
import { CompiledFlag } from "./compiled-flag.js";
import { isContext } from "./context.js";
import type { EvaluationTrace } from "./evaluation-trace.js";
import { type ExplainOptions, type Explanation, explainFlag } from "./explain.js";
import type { Flag, Ruleset, Segment, VariantValue } from "./flag-schema.js";
import { groupBy } from "./group-by.js";
import { type EvaluationResult, errorResult, valueType } from "./result.js";
import { SharedResults } from "./shared-results.js";
import { parseRuleset } from "./validate.js";

export interface CompileOptions {
  /**
   * The clock that schedules are checked against, in epoch milliseconds (default `Date.now`).
   * It is only called for flags that have a schedule.
   */
  now?: () => number;
}

const EMPTY_CONTEXT = Object.freeze({});

/**
 * A ruleset compiled for evaluation: id lists are Sets, regexes, dates and versions are pre-built,
 * conditions are closures. Evaluation is synchronous, never throws and returns the caller's default
 * with `reason: "ERROR"` and an `errorCode` when it cannot answer.
 *
 * @example
 * const snapshot = compile({ flags: [flag] });
 * snapshot.evaluate("checkout-v2", { id: "u42", country: "NL" }, false).value;
 */
export class Snapshot {
  readonly ruleset: Ruleset;
  private readonly flags = new Map<string, CompiledFlag>();
  /**
   * Every result this snapshot returns as it is (all but errors and a split's position), numbered:
   * `sharedSlot(result)` is its index here, what a counter of evaluations keys on.
   */
  readonly shared = new SharedResults();

  constructor(ruleset: Ruleset, options: CompileOptions = {}) {
    this.ruleset = ruleset;
    const now = options.now ?? Date.now;
    const segments = new Map<string, CompiledSegment>(ruleset.segments.map((s) => [s.key, compileSegment(s)]));
    const overridesByFlag = groupBy(ruleset.overrides, (o) => o.flag);
    for (const flag of ruleset.flags) {
      this.flags.set(flag.key, new CompiledFlag(flag, overridesByFlag.get(flag.key) ?? [], segments, now, this.shared));
    }
    for (const compiled of this.flags.values()) {
      for (const prerequisite of compiled.prerequisites) prerequisite.flag = this.flags.get(prerequisite.key);
    }
  }

  /**
   * Evaluates one flag for a context. With a `defaultValue`, the flag's variants must be of its
   * type (else `TYPE_MISMATCH`); the default is what an error returns.
   */
  evaluate(flagKey: string, context?: unknown, defaultValue?: VariantValue): EvaluationResult<VariantValue | undefined> {
    return this.run(flagKey, context, defaultValue, undefined);
  }

  /**
   * `evaluate` without building a result: the one shared by every evaluation that ends the same
   * way (errors excepted), so a warm snapshot allocates nothing. A split's comes without its
   * position; `withPosition` right after adds it.
   */
  decide(flagKey: string, context?: unknown, defaultValue?: VariantValue): EvaluationResult<VariantValue | undefined> {
    return this.run(flagKey, context, defaultValue, undefined, true);
  }

  /** The full result of a `decide(flagKey, …)` just made: a split's with the subject's position. */
  withPosition(flagKey: string, shared: EvaluationResult<VariantValue | undefined>): EvaluationResult<VariantValue | undefined> {
    const flag = this.flags.get(flagKey);
    return flag === undefined ? shared : flag.withPosition(shared as EvaluationResult);
  }

  /** Evaluates every flag for one context (what OFREP's bulk call and `darklaunch check` need). */
  evaluateAll(context?: unknown): EvaluationResult<VariantValue | undefined>[] {
    const results: EvaluationResult<VariantValue | undefined>[] = [];
    for (const key of this.flags.keys()) results.push(this.evaluate(key, context));
    return results;
  }

  /**
   * Says why a subject gets what it gets: which step decided, the position, and for a rollout the
   * verdict at other percentages. `options.percentage` asks "what if the rollout were at p %?".
   * It is rendered from a trace of the evaluation itself, so it always tells what `evaluate` does.
   */
  explain(flagKey: string, context?: unknown, options: ExplainOptions = {}): Explanation {
    const ctx = context === undefined || context === null ? EMPTY_CONTEXT : context;
    const trace: EvaluationTrace = [];
    const result = this.run(flagKey, ctx, undefined, trace);
    return explainFlag({ flag: this.flags.get(flagKey), flagKey, context: ctx, result, trace, options });
  }

  /** The one evaluation path: `evaluate` without a trace, `explain` with one. */
  private run(
    flagKey: string,
    context: unknown,
    defaultValue: VariantValue | undefined,
    trace: EvaluationTrace | undefined,
    shared = false,
  ): EvaluationResult<VariantValue | undefined> {
    const flag = this.flags.get(flagKey);
    if (flag === undefined) {
      trace?.push({ step: "flag", found: false });
      return errorResult({ flagKey, defaultValue, errorCode: "FLAG_NOT_FOUND", errorMessage: `flag "${flagKey}" does not exist` });
    }
    if (defaultValue !== undefined && valueType(defaultValue) !== flag.valueType) {
      return errorResult({
        flagKey,
        defaultValue,
        errorCode: "TYPE_MISMATCH",
        errorMessage: `flag "${flagKey}" serves ${flag.valueType} values, not ${valueType(defaultValue)}`,
        flagVersion: flag.version,
      });
    }
    const ctx = context === undefined || context === null ? EMPTY_CONTEXT : context;
    if (!isContext(ctx)) {
      trace?.push({ step: "context", problem: "not-an-object" });
      return errorResult({
        flagKey,
        defaultValue,
        errorCode: "INVALID_CONTEXT",
        errorMessage: "the context must be an object of attributes",
        flagVersion: flag.version,
      });
    }
    const result = shared ? flag.decide(ctx) : flag.evaluate(ctx, trace);
    if (result.errorCode !== undefined) {
      return errorResult({
        flagKey,
        defaultValue,
        errorCode: result.errorCode,
        errorMessage: result.errorMessage ?? "evaluation failed",
        flagVersion: flag.version,
      });
    }
    return result;
  }

  has(flagKey: string): boolean {
    return this.flags.has(flagKey);
  }

  /** The flag as it was compiled, or undefined. */
  flag(flagKey: string): Flag | undefined {
    return this.flags.get(flagKey)?.source;
  }

  keys(): string[] {
    return [...this.flags.keys()];
  }

  get size(): number {
    return this.flags.size;
  }
}

function compileSegment(segment: Segment): CompiledSegment {
  const tests = segment.conditions.map((c) => compileCondition(c, new Map()));
  return { key: segment.key, ids: new Set(segment.ids), conditions: tests.length === 0 ? undefined : allOf(tests) };
}

/**
 * Validates and compiles a ruleset. Throws a `ValidationError` listing every problem (with paths)
 * when the input is not a valid ruleset; evaluation itself never throws.
 */
export function compile(input: unknown, options: CompileOptions = {}): Snapshot {
  return new Snapshot(parseRuleset(input), options);
}
