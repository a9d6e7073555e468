import { allOf, type CompiledSegment, compileCondition, type Test } from "./compile-condition.js";
import { type EvaluationContext, INVALID_SUBJECT, subjectOf } from "./context.js";
import { parseIsoDate } from "./dates.js";
import type { EvaluationTrace } from "./evaluation-trace.js";
import type { Flag, Override, Serve, VariantValue } from "./flag-schema.js";
import { POSITION_SCALE, positionHundredths, saltPrefix, toHundredths } from "./position.js";
import { atPosition, type EvaluationResult, errorResult, makeResult, type Reason, toOpenFeatureReason, valueType } from "./result.js";
import type { SharedResults } from "./shared-results.js";
import { onVariants } from "./validate.js";

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * A serve ready to answer: a fixed variant is one precomputed result; a split keeps cumulative
 * bounds in hundredths so that a position picks its variant with integer comparisons only.
 */
export class CompiledServe {
  readonly fixed: EvaluationResult | undefined;
  /** Cumulative upper bounds in hundredths; the last is always 10 000. */
  readonly bounds: Int32Array;
  readonly variants: readonly string[];
  /** Per split entry, its result without a position; `resolve` adds the subject's. */
  private readonly templates: readonly EvaluationResult[];
  private readonly missingSubject: EvaluationResult | undefined;

  constructor(
    readonly serve: Serve,
    private readonly flag: CompiledFlag,
    readonly ruleId: string | undefined,
  ) {
    const { key, version, offVariant } = flag;
    const inRule = ruleId !== undefined;
    if (serve.variant !== undefined) {
      const reason: Reason = inRule ? "RULE_MATCH" : "FALLTHROUGH";
      this.fixed = flag.shared.share(
        makeResult({
          flagKey: key,
          variant: serve.variant,
          value: flag.valueOf(serve.variant),
          reason,
          openFeatureReason: toOpenFeatureReason(reason, flag.isStatic),
          included: serve.variant !== offVariant,
          ruleId,
          flagVersion: version,
        }),
      );
      this.bounds = new Int32Array(0);
      this.variants = [];
      this.templates = [];
      this.missingSubject = undefined;
      return;
    }
    const split = serve.split ?? [];
    this.fixed = undefined;
    this.variants = split.map((entry) => entry.variant);
    this.templates = this.variants.map((variant) => {
      const included = variant !== offVariant;
      const template = makeResult({
        flagKey: key,
        variant,
        value: flag.valueOf(variant),
        reason: inRule ? "RULE_MATCH" : included ? "ROLLOUT_INCLUDED" : "ROLLOUT_EXCLUDED",
        openFeatureReason: inRule ? "TARGETING_MATCH" : "SPLIT",
        included,
        ruleId,
        flagVersion: version,
      });
      return flag.shared.share(template);
    });
    this.bounds = new Int32Array(split.length);
    let total = 0;
    split.forEach((entry, i) => {
      total += toHundredths(entry.weight);
      this.bounds[i] = total;
    });
    // Weights were validated to sum to 100; pinning the last bound makes the scan always stop.
    this.bounds[split.length - 1] = POSITION_SCALE;
    this.missingSubject = flag.shared.share(
      makeResult({
        flagKey: key,
        variant: offVariant,
        value: flag.valueOf(offVariant),
        reason: "MISSING_SUBJECT",
        openFeatureReason: "DEFAULT",
        included: false,
        ruleId,
        flagVersion: version,
      }),
    );
  }

  /** Index of the split entry that owns a position in hundredths. */
  indexAt(hundredths: number): number {
    const bounds = this.bounds;
    let i = 0;
    while (hundredths >= bounds[i]!) i++;
    return i;
  }

  /**
   * The shared result for a subject, allocating nothing: a split's comes without its position,
   * which is left on the flag (`lastSplit`, `lastHundredths`) for `withPosition` to add when asked.
   */
  decide(subject: string | undefined): EvaluationResult {
    if (this.fixed !== undefined) return this.fixed;
    if (subject === undefined) return this.missingSubject!;
    const hundredths = positionHundredths(this.flag.prefix, subject);
    const template = this.templates[this.indexAt(hundredths)]!;
    this.flag.lastSplit = template;
    this.flag.lastHundredths = hundredths;
    return template;
  }
}

export interface CompiledRule {
  readonly id: string;
  readonly test: Test;
  /** One test per condition, run one by one when evaluation is traced. */
  readonly conditionTests: readonly Test[];
  readonly serve: CompiledServe;
}

export interface CompiledPrerequisite {
  readonly key: string;
  readonly variant: string;
  flag: CompiledFlag | undefined;
}

/** Results that end a prerequisite as not met, whatever variant they carry. */
const NOT_LIVE: ReadonlySet<Reason> = new Set<Reason>(["DISABLED", "SCHEDULED_OFF", "PREREQUISITE_FAILED", "ERROR"]);

/**
 * One flag compiled for evaluation in the order of docs/architecture.md#order-of-evaluation. Results that do not depend on a
 * position are built once here and returned as they are, so most evaluations allocate nothing.
 */
export class CompiledFlag {
  readonly key: string;
  readonly version: number;
  readonly offVariant: string;
  readonly valueType: string;
  readonly salt: string;
  readonly prefix: Uint8Array;
  readonly bucketBy: string;
  /** No schedule, prerequisites, overrides or rules: the context cannot change the answer. */
  readonly isStatic: boolean;
  readonly start: number;
  readonly end: number;
  readonly hasSchedule: boolean;
  readonly prerequisites: CompiledPrerequisite[];
  readonly overrides = new Map<string, EvaluationResult>();
  readonly overrideSources = new Map<string, Override["source"]>();
  readonly rules: CompiledRule[];
  readonly fallthrough: CompiledServe;
  readonly disabledResult: EvaluationResult;
  readonly scheduledOffResult: EvaluationResult;
  readonly prerequisiteFailedResult: EvaluationResult;
  private readonly invalidSubjectResult: EvaluationResult;
  private readonly variantValues: Map<string, VariantValue>;
  /**
   * The split template the last `decide` returned and its position in hundredths: evaluation is
   * synchronous, so `withPosition` right after it reads the position without `decide` allocating.
   */
  lastSplit: EvaluationResult | undefined = undefined;
  lastHundredths = 0;

  constructor(
    readonly source: Flag,
    overrides: readonly Override[],
    segments: ReadonlyMap<string, CompiledSegment>,
    private readonly now: () => number,
    /** Where this flag's shared results are numbered (one per snapshot). */
    readonly shared: SharedResults,
  ) {
    this.key = source.key;
    this.version = source.version;
    this.offVariant = source.offVariant;
    this.variantValues = new Map(Object.entries(source.variants).map(([name, value]) => [name, deepFreeze(structuredClone(value))]));
    this.valueType = valueType(this.valueOf(source.offVariant));
    this.salt = source.salt ?? source.key;
    this.prefix = saltPrefix(this.salt);
    this.bucketBy = source.bucketBy;
    this.start = source.schedule?.start !== undefined ? parseIsoDate(source.schedule.start) : Number.NEGATIVE_INFINITY;
    this.end = source.schedule?.end !== undefined ? parseIsoDate(source.schedule.end) : Number.POSITIVE_INFINITY;
    this.hasSchedule = source.schedule !== undefined;
    this.isStatic = !this.hasSchedule && source.prerequisites.length === 0 && overrides.length === 0 && source.rules.length === 0;
    this.prerequisites = source.prerequisites.map((p) => ({ key: p.flag, variant: p.variant, flag: undefined }));

    const off = (reason: Reason) =>
      shared.share(
        makeResult({
          flagKey: this.key,
          variant: this.offVariant,
          value: this.valueOf(this.offVariant),
          reason,
          openFeatureReason: toOpenFeatureReason(reason),
          included: false,
          flagVersion: this.version,
        }),
      );
    this.disabledResult = off("DISABLED");
    this.scheduledOffResult = off("SCHEDULED_OFF");
    this.prerequisiteFailedResult = off("PREREQUISITE_FAILED");
    this.invalidSubjectResult = Object.freeze(
      errorResult({
        flagKey: this.key,
        defaultValue: undefined as unknown as VariantValue,
        errorCode: "INVALID_CONTEXT",
        errorMessage: `the subject attribute "${this.bucketBy}" must be a string or a number`,
        flagVersion: this.version,
      }),
    );

    const on = onVariants(source);
    for (const override of overrides) {
      const variant = override.variant ?? (override.source === "opt-out" ? this.offVariant : on[0]!);
      this.overrides.set(
        override.subject,
        shared.share(
          makeResult({
            flagKey: this.key,
            variant,
            value: this.valueOf(variant),
            reason: "OVERRIDE",
            openFeatureReason: "TARGETING_MATCH",
            included: variant !== this.offVariant,
            flagVersion: this.version,
          }),
        ),
      );
      this.overrideSources.set(override.subject, override.source);
    }
    this.rules = source.rules.map((rule) => {
      const conditionTests = rule.conditions.map((c) => compileCondition(c, segments));
      return { id: rule.id, test: allOf(conditionTests), conditionTests, serve: new CompiledServe(rule.serve, this, rule.id) };
    });
    this.fallthrough = new CompiledServe(source.fallthrough, this, undefined);
  }

  valueOf(variant: string): VariantValue {
    const value = this.variantValues.get(variant);
    if (value === undefined) throw new Error(`flag "${this.key}" has no variant "${variant}"`);
    return value;
  }

  /** True when the schedule (if any) lets the flag serve at `time`. */
  inSchedule(time: number): boolean {
    return time >= this.start && time < this.end;
  }

  prerequisiteMet(prerequisite: CompiledPrerequisite, context: EvaluationContext): boolean {
    const target = prerequisite.flag;
    if (target === undefined) return false;
    const result = target.decide(context);
    return !NOT_LIVE.has(result.reason) && result.variant === prerequisite.variant;
  }

  /**
   * Evaluates for a context known to be an object, in the order of docs/architecture.md#order-of-evaluation. Errors come back
   * with an undefined value. With a `trace`, every step is recorded there as it happens (what
   * `explain` renders); without one, the only cost of tracing is a few `undefined` checks.
   */
  evaluate(context: EvaluationContext, trace?: EvaluationTrace): EvaluationResult {
    return this.withPosition(this.decide(context, trace));
  }

  /** The full result of a `decide` just made: a split's shared template with the subject's position. */
  withPosition(shared: EvaluationResult): EvaluationResult {
    return shared === this.lastSplit ? atPosition(shared, this.lastHundredths / 100) : shared;
  }

  /**
   * What `evaluate` answers, as a result shared by every evaluation that ends the same way, so it
   * allocates nothing: a split's comes without its position (`withPosition` adds it). The SDK's
   * `isEnabled`, `variant` and `value` stop here; `evaluate` and `explain` add the position.
   */
  decide(context: EvaluationContext, trace?: EvaluationTrace): EvaluationResult {
    if (!this.source.enabled) {
      trace?.push({ step: "enabled", enabled: false });
      return this.disabledResult;
    }
    trace?.push({ step: "enabled", enabled: true });
    if (this.hasSchedule) {
      const now = this.now();
      const inside = this.inSchedule(now);
      trace?.push({ step: "schedule", now, inside });
      if (!inside) return this.scheduledOffResult;
    }
    const prerequisites = this.prerequisites;
    for (let i = 0; i < prerequisites.length; i++) {
      const met = this.prerequisiteMet(prerequisites[i]!, context);
      trace?.push({ step: "prerequisite", index: i, met });
      if (!met) return this.prerequisiteFailedResult;
    }
    const subject = subjectOf(context, this.bucketBy);
    if (subject === INVALID_SUBJECT) {
      trace?.push({ step: "context", problem: "invalid-subject" });
      return this.invalidSubjectResult;
    }
    if (subject !== undefined && this.overrides.size > 0) {
      const override = this.overrides.get(subject);
      if (override !== undefined) {
        trace?.push({ step: "override", subject });
        return override;
      }
    }
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (trace === undefined ? rule.test(context, subject) : this.traceRule(i, context, subject, trace)) {
        return rule.serve.decide(subject);
      }
    }
    trace?.push({ step: "fallthrough" });
    return this.fallthrough.decide(subject);
  }

  /** A rule's verdict with each condition's, all of them run (a person reads why it did not hold). */
  private traceRule(index: number, context: EvaluationContext, subject: string | undefined, trace: EvaluationTrace): boolean {
    const conditions = this.rules[index]!.conditionTests.map((test) => test(context, subject));
    const holds = conditions.every(Boolean);
    trace.push({ step: "rule", index, conditions, holds });
    return holds;
  }
}
