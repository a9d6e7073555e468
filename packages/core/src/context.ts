/**
 * What evaluation is about: a flat object of attributes, `{ id: "u42", country: "NL", plan: "pro" }`.
 * Values are strings, numbers or booleans, or arrays of them (a condition holds when any element
 * satisfies it). OpenFeature's `targetingKey` stands in for `id` when `id` is absent.
 */
export type EvaluationContext = Readonly<Record<string, unknown>>;

/** Reads an attribute; `id` falls back to OpenFeature's `targetingKey`. */
export function attributeOf(context: EvaluationContext, attribute: string): unknown {
  const value = context[attribute];
  if (value === undefined && attribute === "id") return context.targetingKey;
  // Own properties only: the `constructor` or `toString` of a plain object is an absent attribute, so a
  // negated condition on it does not hold. Object.prototype holds no primitives; they skip the check.
  if ((typeof value === "object" && value !== null) || typeof value === "function")
    return Object.hasOwn(context, attribute) ? value : undefined;
  return value;
}

/** The subject could not be read: its attribute holds something that is not a string or number. */
export const INVALID_SUBJECT = Symbol("invalid subject");

/**
 * The subject a flag buckets by, as a string: undefined when absent or empty, `INVALID_SUBJECT` when
 * the attribute holds an object, a boolean or a non-finite number.
 */
export function subjectOf(context: EvaluationContext, bucketBy: string): string | undefined | typeof INVALID_SUBJECT {
  // Read here rather than through attributeOf: almost every flag buckets by "id", so this load site
  // stays monomorphic while condition attributes make attributeOf's megamorphic.
  let value = context[bucketBy];
  if (value === undefined && bucketBy === "id") value = context.targetingKey;
  if (typeof value === "string") return value === "" ? undefined : value;
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  // An inherited `constructor` or `toString` is no attribute: the subject is absent, not invalid.
  return Object.hasOwn(context, bucketBy) || (bucketBy === "id" && Object.hasOwn(context, "targetingKey")) ? INVALID_SUBJECT : undefined;
}

/** True for a value evaluation accepts as a context: a plain object (or nothing, read as `{}`). */
export function isContext(value: unknown): value is EvaluationContext {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The subject of a context for a flag bucketing by `bucketBy`, as the evaluations log records it:
 * the same reading evaluation uses, or undefined when there is none (absent, empty or invalid).
 */
export function subjectText(context: EvaluationContext, bucketBy: string): string | undefined {
  const subject = subjectOf(context, bucketBy);
  return typeof subject === "string" ? subject : undefined;
}
