import { z } from "zod";
import { parseIsoDate } from "./dates.js";
import { regexProblem } from "./regex-safety.js";
import { parseSemver } from "./semver.js";

/** Every operator a condition can use (docs/architecture.md#order-of-evaluation). */
export const OPERATORS = [
  "in",
  "startsWith",
  "endsWith",
  "contains",
  "matches",
  "lt",
  "lte",
  "gt",
  "gte",
  "before",
  "after",
  "semverEq",
  "semverLt",
  "semverGt",
  "inSegment",
] as const;

export type Operator = (typeof OPERATORS)[number];

/** A condition holds at most this many values; larger lists belong in a segment. */
export const MAX_CONDITION_VALUES = 10_000;

export const AttributeNameSchema = z.string().min(1, "attribute name is empty").max(256, "attribute name is over 256 characters");

const ConditionValueSchema = z.union([z.string(), z.number(), z.boolean()], {
  error: "condition values are strings, numbers or booleans",
});

/**
 * `{ attribute, op, values, negate? }`. Every value is checked for its operator here, when the flag
 * is saved, so that evaluation never meets a regex that does not compile or a date it cannot read.
 */
export const ConditionSchema = z
  .strictObject({
    attribute: AttributeNameSchema.optional(),
    op: z.enum(OPERATORS, {
      error: (issue) => (issue.input === undefined ? "operator is missing" : `unknown operator ${JSON.stringify(issue.input)}`),
    }),
    values: z
      .array(ConditionValueSchema)
      .min(1, "a condition needs at least one value")
      .max(MAX_CONDITION_VALUES, `a condition holds at most ${MAX_CONDITION_VALUES} values; use a segment`),
    negate: z.boolean().optional(),
  })
  .superRefine(
    (condition, ctx) => {
      const { op } = condition;
      // The enum reports an unknown operator; what it would need cannot be judged.
      if (!(OPERATORS as readonly unknown[]).includes(op)) return;
      if (op === "inSegment") {
        if (condition.attribute !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["attribute"],
            message: "inSegment takes no attribute: it tests the flag's subject and the whole context",
          });
        }
      } else if (condition.attribute === undefined) {
        ctx.addIssue({ code: "custom", path: ["attribute"], message: `operator "${op}" needs an attribute` });
      }
      if (!Array.isArray(condition.values)) return;
      condition.values.forEach((value, i) => {
        // A value of the wrong type is reported by the union already.
        if (!isConditionValue(value)) return;
        const problem = valueProblem(op, value);
        if (problem) ctx.addIssue({ code: "custom", path: ["values", i], message: problem });
      });
    },
    // Run even when another field failed (a null among the values, an unknown key), so that every
    // problem of a condition is reported at once, not one save later.
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  );

function isConditionValue(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));
}

export type Condition = z.output<typeof ConditionSchema>;

function valueProblem(op: Operator, value: string | number | boolean): string | undefined {
  switch (op) {
    case "in":
      return undefined;
    case "startsWith":
    case "endsWith":
    case "contains":
    case "inSegment":
      return typeof value === "string" ? undefined : `operator "${op}" takes strings, got ${JSON.stringify(value)}`;
    case "matches":
      return typeof value === "string" ? regexProblem(value) : `operator "matches" takes regex strings, got ${JSON.stringify(value)}`;
    case "lt":
    case "lte":
    case "gt":
    case "gte":
      return typeof value === "number" && Number.isFinite(value)
        ? undefined
        : `operator "${op}" takes numbers, got ${JSON.stringify(value)}`;
    case "before":
    case "after":
      if (typeof value === "number" && Number.isFinite(value)) return undefined;
      return typeof value === "string" && !Number.isNaN(parseIsoDate(value))
        ? undefined
        : `operator "${op}" takes ISO 8601 dates with a zone or epoch milliseconds, got ${JSON.stringify(value)}`;
    case "semverEq":
    case "semverLt":
    case "semverGt":
      return typeof value === "string" && parseSemver(value) !== undefined
        ? undefined
        : `operator "${op}" takes semantic versions, got ${JSON.stringify(value)}`;
  }
}
