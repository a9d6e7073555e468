import { describe, expect, it } from "vitest";
import { DarkLaunchError, type Problem, ValidationError } from "./errors.js";
import type { FlagInput } from "./flag-schema.js";
import { flag } from "./test-builders.js";
import { formatPath, parseFlag, parseRuleset, validateFlag, validateOverride, validateRuleset, validateSegment } from "./validate.js";

const SLUG_MESSAGE = "must start with a letter or digit and hold only letters, digits, '.', '_' and '-'";

function problemsOf(input: unknown): Problem[] {
  const checked = validateFlag(input);
  return checked.ok ? [] : checked.problems;
}

/** A flag with one rule holding `conditions`. */
function withConditions(...conditions: unknown[]): unknown {
  return flag({ rules: [{ id: "r", conditions, serve: { variant: "on" } }] as FlagInput["rules"] });
}

const rules = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, conditions: [], serve: { variant: "on" } }));

describe("validateFlag rejects, at the exact path", () => {
  it.each<[string, unknown, Problem[]]>([
    ["a flag that is not an object", "checkout-v2", [{ path: "", message: "Invalid input: expected object, received string" }]],
    [
      "an empty object",
      {},
      [
        { path: "key", message: "is required" },
        { path: "variants", message: "Invalid input: expected record, received undefined" },
        { path: "offVariant", message: "is required" },
        { path: "fallthrough", message: "Invalid input: expected object, received undefined" },
      ],
    ],
    ["an unknown field", flag({ colour: "red" } as Partial<FlagInput>), [{ path: "", message: 'Unrecognized key: "colour"' }]],
    ["a key that is not a string", flag({ key: 5 as unknown as string }), [{ path: "key", message: "must be a string" }]],
    [
      "an empty key",
      flag({ key: "" }),
      [
        { path: "key", message: "must not be empty" },
        { path: "key", message: SLUG_MESSAGE },
      ],
    ],
    ["a key over 128 characters", flag({ key: "k".repeat(129) }), [{ path: "key", message: "must be at most 128 characters" }]],
    ["a key with a space", flag({ key: "checkout v2" }), [{ path: "key", message: SLUG_MESSAGE }]],
    ["a key starting with a dash", flag({ key: "-x" }), [{ path: "key", message: SLUG_MESSAGE }]],
    [
      "a description over 4096 characters",
      flag({ description: "d".repeat(4097) }),
      [{ path: "description", message: "Too big: expected string to have <=4096 characters" }],
    ],
    [
      "an owner over 256 characters",
      flag({ owner: "o".repeat(257) }),
      [{ path: "owner", message: "Too big: expected string to have <=256 characters" }],
    ],
    [
      "an unknown kind",
      flag({ kind: "beta" as FlagInput["kind"] }),
      [{ path: "kind", message: 'kind must be one of release, ops, experiment, permission, got "beta"' }],
    ],
    [
      "variants that are not a record",
      flag({ variants: [true, false] as unknown as FlagInput["variants"] }),
      [{ path: "variants", message: "Invalid input: expected record, received array" }],
    ],
    [
      "no variants",
      flag({ variants: {} }),
      [
        { path: "variants", message: "a flag needs at least one variant" },
        { path: "offVariant", message: 'unknown variant "off"; the flag\'s variants are none' },
        { path: "fallthrough.variant", message: 'unknown variant "off"; the flag\'s variants are none' },
      ],
    ],
    [
      "more than 100 variants",
      flag({ variants: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [i === 0 ? "off" : `v${i}`, i > 0])) }),
      [{ path: "variants", message: "a flag has at most 100 variants" }],
    ],
    [
      "a variant name that is not a slug",
      flag({ variants: { "dark mode": true, off: false } }),
      [
        {
          path: 'variants["dark mode"]',
          message: "variant name must start with a letter or digit and hold only letters, digits, '.', '_' and '-'",
        },
      ],
    ],
    [
      "a null variant value",
      flag({ variants: { "on-1": true, off: null } as unknown as FlagInput["variants"] }),
      [{ path: "variants.off", message: "a variant value is a boolean, string, number, JSON object or JSON array (not null)" }],
    ],
    [
      "a NaN variant value",
      flag({ variants: { on: 1, off: Number.NaN } }),
      [{ path: "variants.off", message: "a variant value is a boolean, string, number, JSON object or JSON array (not null)" }],
    ],
    [
      "variants of mixed types",
      flag({ variants: { on: true, off: false, text: "t", count: 1, json: { a: 1 }, list: [1] } }),
      [
        {
          path: "variants",
          message: `variants mix types ("off" is a boolean, "text" is a string, "count" is a number, "list" is JSON); a flag's variants share one type`,
        },
      ],
    ],
    ["a missing offVariant", flag({ offVariant: undefined }), [{ path: "offVariant", message: "is required" }]],
    [
      "an unknown offVariant",
      flag({ offVariant: "of" }),
      [{ path: "offVariant", message: `unknown variant "of"; the flag's variants are "on", "off"` }],
    ],
    [
      "enabled that is not a boolean",
      flag({ enabled: "yes" as unknown as boolean }),
      [{ path: "enabled", message: "Invalid input: expected boolean, received string" }],
    ],
    [
      "rules that are not an array",
      flag({ rules: {} as unknown as FlagInput["rules"] }),
      [{ path: "rules", message: "Invalid input: expected array, received object" }],
    ],
    ["more than 1000 rules", flag({ rules: rules(1001) }), [{ path: "rules", message: "a flag has at most 1000 rules" }]],
    [
      "an unknown field in a rule",
      flag({ rules: [{ ...rules(1)[0], when: "now" } as NonNullable<FlagInput["rules"]>[number]] }),
      [{ path: "rules[0]", message: 'Unrecognized key: "when"' }],
    ],
    [
      "a rule without an id",
      flag({ rules: [{ conditions: [], serve: { variant: "on" } } as never] }),
      [{ path: "rules[0].id", message: "is required" }],
    ],
    [
      "a rule description over 1024 characters",
      flag({ rules: [{ ...rules(1)[0]!, description: "d".repeat(1025) }] }),
      [{ path: "rules[0].description", message: "Too big: expected string to have <=1024 characters" }],
    ],
    [
      "duplicate rule ids",
      flag({ rules: [...rules(3), { id: "r1", conditions: [], serve: { variant: "off" } }] }),
      [{ path: "rules[3].id", message: 'duplicate rule id "r1" (also rules[1])' }],
    ],
    [
      "more than 100 conditions in a rule",
      withConditions(...Array.from({ length: 101 }, () => ({ attribute: "a", op: "in", values: ["x"] }))),
      [{ path: "rules[0].conditions", message: "a rule has at most 100 conditions" }],
    ],
    [
      "a rule serving an unknown variant",
      flag({ rules: [{ id: "r", conditions: [], serve: { variant: "onn" } }] }),
      [{ path: "rules[0].serve.variant", message: `unknown variant "onn"; the flag's variants are "on", "off"` }],
    ],
    [
      "a rule splitting to an unknown variant",
      flag({
        rules: [
          {
            id: "r",
            conditions: [],
            serve: {
              split: [
                { variant: "on", weight: 50 },
                { variant: "of", weight: 50 },
              ],
            },
          },
        ],
      }),
      [{ path: "rules[0].serve.split[1].variant", message: `unknown variant "of"; the flag's variants are "on", "off"` }],
    ],
    [
      "a fallthrough serving an unknown variant",
      flag({ fallthrough: { variant: "maybe" } }),
      [{ path: "fallthrough.variant", message: `unknown variant "maybe"; the flag's variants are "on", "off"` }],
    ],
    [
      "a serve with both variant and split",
      flag({ fallthrough: { variant: "on", split: [{ variant: "on", weight: 100 }] } }),
      [{ path: "fallthrough", message: "serve exactly one of { variant } or { split }" }],
    ],
    [
      "a serve with neither",
      flag({ fallthrough: {} }),
      [{ path: "fallthrough", message: "serve exactly one of { variant } or { split }" }],
    ],
    [
      "an empty split",
      flag({ fallthrough: { split: [] } }),
      [
        { path: "fallthrough.split", message: "a split needs at least one variant" },
        { path: "fallthrough.split", message: "weights sum to 0, not 100" },
      ],
    ],
    [
      "weights that do not sum to 100",
      flag({
        fallthrough: {
          split: [
            { variant: "on", weight: 33.33 },
            { variant: "off", weight: 66.66 },
          ],
        },
      }),
      [{ path: "fallthrough.split", message: "weights sum to 99.99, not 100" }],
    ],
    [
      "a weight with three decimals",
      flag({
        fallthrough: {
          split: [
            { variant: "on", weight: 10.005 },
            { variant: "off", weight: 89.995 },
          ],
        },
      }),
      [
        { path: "fallthrough.split[0].weight", message: "must be from 0 to 100 with at most two decimals, got 10.005" },
        { path: "fallthrough.split[1].weight", message: "must be from 0 to 100 with at most two decimals, got 89.995" },
      ],
    ],
    [
      "a negative weight and one over 100",
      flag({
        fallthrough: {
          split: [
            { variant: "on", weight: -10 },
            { variant: "off", weight: 110 },
          ],
        },
      }),
      [
        { path: "fallthrough.split[0].weight", message: "must be from 0 to 100 with at most two decimals, got -10" },
        { path: "fallthrough.split[1].weight", message: "must be from 0 to 100 with at most two decimals, got 110" },
      ],
    ],
    [
      "a weight that is not a number",
      flag({
        fallthrough: {
          split: [
            { variant: "on", weight: "50" as unknown as number },
            { variant: "off", weight: 50 },
          ],
        },
      }),
      [{ path: "fallthrough.split[0].weight", message: "must be a number" }],
    ],
    [
      "a variant twice in a split",
      flag({
        fallthrough: {
          split: [
            { variant: "on", weight: 50 },
            { variant: "on", weight: 50 },
          ],
        },
      }),
      [{ path: "fallthrough.split[1].variant", message: 'variant "on" appears twice in the split' }],
    ],
    ["an empty schedule", flag({ schedule: {} }), [{ path: "schedule", message: "a schedule needs a start, an end or both" }]],
    [
      "a schedule that ends before it starts",
      flag({ schedule: { start: "2026-12-02T00:00:00Z", end: "2026-12-01" } }),
      [{ path: "schedule.end", message: "end must be after start" }],
    ],
    [
      "a schedule that ends when it starts",
      flag({ schedule: { start: "2026-12-01T01:00:00+01:00", end: "2026-12-01" } }),
      [{ path: "schedule.end", message: "end must be after start" }],
    ],
    [
      "a schedule date without a zone",
      flag({ schedule: { start: "2026-12-01T08:00:00" } }),
      [
        {
          path: "schedule.start",
          message: 'not an ISO 8601 date with a zone (e.g. 2026-12-01T08:00:00Z or 2027-01-31): "2026-12-01T08:00:00"',
        },
      ],
    ],
    [
      "a schedule on a day the month lacks",
      flag({ schedule: { end: "2026-02-29" } }),
      [{ path: "schedule.end", message: 'not an ISO 8601 date with a zone (e.g. 2026-12-01T08:00:00Z or 2027-01-31): "2026-02-29"' }],
    ],
    [
      "an unknown field in a schedule",
      flag({ schedule: { start: "2026-12-01", stop: "2027-01-01" } as FlagInput["schedule"] }),
      [{ path: "schedule", message: 'Unrecognized key: "stop"' }],
    ],
    [
      "an expiresAt that is not a date",
      flag({ expiresAt: "next quarter" }),
      [{ path: "expiresAt", message: 'not an ISO 8601 date with a zone (e.g. 2026-12-01T08:00:00Z or 2027-01-31): "next quarter"' }],
    ],
    [
      "a prerequisite without a variant",
      flag({ prerequisites: [{ flag: "other" } as { flag: string; variant: string }] }),
      [{ path: "prerequisites[0].variant", message: "is required" }],
    ],
    [
      "a flag that is its own prerequisite",
      flag({ prerequisites: [{ flag: "f", variant: "on" }] }),
      [{ path: "prerequisites[0].flag", message: "a flag cannot be its own prerequisite" }],
    ],
    [
      "a prerequisite listed twice",
      flag({
        prerequisites: [
          { flag: "g", variant: "on" },
          { flag: "g", variant: "off" },
        ],
      }),
      [{ path: "prerequisites[1].flag", message: 'flag "g" is listed twice' }],
    ],
    [
      "more than 100 prerequisites",
      flag({ prerequisites: Array.from({ length: 101 }, (_, i) => ({ flag: `p${i}`, variant: "on" })) }),
      [{ path: "prerequisites", message: "Too big: expected array to have <=100 items" }],
    ],
    [
      "a salt over 256 characters",
      flag({ salt: "s".repeat(257) }),
      [{ path: "salt", message: "Too big: expected string to have <=256 characters" }],
    ],
    ["an empty bucketBy", flag({ bucketBy: "" }), [{ path: "bucketBy", message: "Too small: expected string to have >=1 characters" }]],
    [
      "an empty tag and one over 64 characters",
      flag({ tags: ["", "t".repeat(65)] }),
      [
        { path: "tags[0]", message: "Too small: expected string to have >=1 characters" },
        { path: "tags[1]", message: "Too big: expected string to have <=64 characters" },
      ],
    ],
    [
      "more than 100 tags",
      flag({ tags: Array.from({ length: 101 }, (_, i) => `t${i}`) }),
      [{ path: "tags", message: "Too big: expected array to have <=100 items" }],
    ],
    ["version 0", flag({ version: 0 }), [{ path: "version", message: "version starts at 1" }]],
    ["a fractional version", flag({ version: 1.5 }), [{ path: "version", message: "Invalid input: expected int, received number" }]],
  ])("%s", (_, input, expected) => {
    expect(problemsOf(input)).toEqual(expected);
  });
});

describe("validateFlag rejects conditions, at the exact path", () => {
  const at = (i: number, rest = "") => `rules[0].conditions[${i}]${rest}`;

  it.each<[string, unknown, Problem[]]>([
    ["an unknown operator", { attribute: "age", op: "gte ", values: [1] }, [{ path: at(0, ".op"), message: 'unknown operator "gte "' }]],
    ["a missing operator", { attribute: "age", values: [1] }, [{ path: at(0, ".op"), message: "operator is missing" }]],
    ["an unknown field", { attribute: "a", op: "in", values: ["x"], not: true }, [{ path: at(0), message: 'Unrecognized key: "not"' }]],
    ["a missing attribute", { op: "in", values: ["x"] }, [{ path: at(0, ".attribute"), message: 'operator "in" needs an attribute' }]],
    ["an empty attribute", { attribute: "", op: "in", values: ["x"] }, [{ path: at(0, ".attribute"), message: "attribute name is empty" }]],
    [
      "an attribute over 256 characters",
      { attribute: "a".repeat(257), op: "in", values: ["x"] },
      [{ path: at(0, ".attribute"), message: "attribute name is over 256 characters" }],
    ],
    [
      "inSegment with an attribute",
      { attribute: "id", op: "inSegment", values: ["beta"] },
      [{ path: at(0, ".attribute"), message: "inSegment takes no attribute: it tests the flag's subject and the whole context" }],
    ],
    ["no values", { attribute: "a", op: "in", values: [] }, [{ path: at(0, ".values"), message: "a condition needs at least one value" }]],
    [
      "more than 10 000 values",
      { attribute: "a", op: "in", values: Array.from({ length: 10_001 }, (_, i) => i) },
      [{ path: at(0, ".values"), message: "a condition holds at most 10000 values; use a segment" }],
    ],
    [
      "values that are not scalars",
      { attribute: "a", op: "in", values: ["x", null, { y: 1 }, Number.POSITIVE_INFINITY] },
      [
        { path: at(0, ".values[1]"), message: "condition values are strings, numbers or booleans" },
        { path: at(0, ".values[2]"), message: "condition values are strings, numbers or booleans" },
        { path: at(0, ".values[3]"), message: "condition values are strings, numbers or booleans" },
      ],
    ],
    [
      "negate that is not a boolean",
      { attribute: "a", op: "in", values: ["x"], negate: "yes" },
      [{ path: at(0, ".negate"), message: "Invalid input: expected boolean, received string" }],
    ],
    ...(["startsWith", "endsWith", "contains", "inSegment"] as const).map((op): [string, unknown, Problem[]] => [
      `${op} with a number`,
      { attribute: op === "inSegment" ? undefined : "a", op, values: ["x", 5] },
      [{ path: at(0, ".values[1]"), message: `operator "${op}" takes strings, got 5` }],
    ]),
    [
      "matches with a number",
      { attribute: "a", op: "matches", values: [5] },
      [{ path: at(0, ".values[0]"), message: 'operator "matches" takes regex strings, got 5' }],
    ],
    [
      "matches with a regex that does not compile",
      { attribute: "a", op: "matches", values: ["(a"] },
      [
        {
          path: at(0, ".values[0]"),
          message: "regex does not compile with RE2 syntax (no backreferences or lookaround): missing closing ): `(a`",
        },
      ],
    ],
    [
      "matches with a backreference, which RE2 cannot run in linear time",
      { attribute: "a", op: "matches", values: ["(a+)+$", "(a)\\1"] },
      [
        {
          path: at(0, ".values[1]"),
          message: "regex does not compile with RE2 syntax (no backreferences or lookaround): invalid escape sequence: `\\1`",
        },
      ],
    ],
    [
      "matches with a regex over 256 characters",
      { attribute: "a", op: "matches", values: ["a".repeat(257)] },
      [{ path: at(0, ".values[0]"), message: "regex is 257 characters; the limit is 256" }],
    ],
    ...(["lt", "lte", "gt", "gte"] as const).map((op): [string, unknown, Problem[]] => [
      `${op} with a string`,
      { attribute: "a", op, values: [1, "18"] },
      [{ path: at(0, ".values[1]"), message: `operator "${op}" takes numbers, got "18"` }],
    ]),
    ...(["before", "after"] as const).map((op): [string, unknown, Problem[]] => [
      `${op} with a date without a zone and a boolean`,
      { attribute: "a", op, values: ["2026-01-01T00:00", true] },
      [
        {
          path: at(0, ".values[0]"),
          message: `operator "${op}" takes ISO 8601 dates with a zone or epoch milliseconds, got "2026-01-01T00:00"`,
        },
        { path: at(0, ".values[1]"), message: `operator "${op}" takes ISO 8601 dates with a zone or epoch milliseconds, got true` },
      ],
    ]),
    ...(["semverEq", "semverLt", "semverGt"] as const).map((op): [string, unknown, Problem[]] => [
      `${op} with a non-version and a number`,
      { attribute: "a", op, values: ["1.2.3.4", 1] },
      [
        { path: at(0, ".values[0]"), message: `operator "${op}" takes semantic versions, got "1.2.3.4"` },
        { path: at(0, ".values[1]"), message: `operator "${op}" takes semantic versions, got 1` },
      ],
    ]),
  ])("%s", (_, condition, expected) => {
    expect(problemsOf(withConditions(condition))).toEqual(expected);
  });

  it("reports the path of the condition that fails, deep in the flag", () => {
    const input = flag({
      rules: [
        { id: "a", conditions: [], serve: { variant: "on" } },
        { id: "b", conditions: [], serve: { variant: "on" } },
        {
          id: "c",
          conditions: [{ attribute: "age", op: "gte " as "gte", values: [18] }],
          serve: { variant: "on" },
        },
      ],
    });
    expect(problemsOf(input)).toEqual([{ path: "rules[2].conditions[0].op", message: 'unknown operator "gte "' }]);
  });
});

describe("every problem is reported at once", () => {
  it("a flag with 5 different problems yields those 5 problems", () => {
    const input = {
      key: "checkout v2",
      variants: { on: true, off: "no" },
      offVariant: "of",
      enabled: true,
      rules: [{ id: "r", conditions: [{ attribute: "age", op: "gte ", values: [18] }], serve: { variant: "on" } }],
      fallthrough: {
        split: [
          { variant: "on", weight: 10 },
          { variant: "off", weight: 80 },
        ],
      },
    };
    expect(problemsOf(input)).toEqual([
      { path: "key", message: SLUG_MESSAGE },
      { path: "rules[0].conditions[0].op", message: 'unknown operator "gte "' },
      { path: "fallthrough.split", message: "weights sum to 90, not 100" },
      { path: "variants", message: `variants mix types ("on" is a boolean, "off" is a string); a flag's variants share one type` },
      { path: "offVariant", message: `unknown variant "of"; the flag's variants are "on", "off"` },
    ]);
  });

  it("a value of the wrong type does not hide the problems of the other values of its condition", () => {
    expect(problemsOf(withConditions({ attribute: "a", op: "matches", values: [null, "(?=a)", "^ok$"], extra: 1 }))).toEqual([
      { path: "rules[0].conditions[0].values[0]", message: "condition values are strings, numbers or booleans" },
      { path: "rules[0].conditions[0]", message: 'Unrecognized key: "extra"' },
      {
        path: "rules[0].conditions[0].values[1]",
        message: "regex does not compile with RE2 syntax (no backreferences or lookaround): invalid or unsupported Perl syntax: `(?=`",
      },
    ]);
    expect(problemsOf(withConditions({ op: "lt", values: ["17", {}] }))).toEqual([
      { path: "rules[0].conditions[0].values[1]", message: "condition values are strings, numbers or booleans" },
      { path: "rules[0].conditions[0].attribute", message: 'operator "lt" needs an attribute' },
      { path: "rules[0].conditions[0].values[0]", message: 'operator "lt" takes numbers, got "17"' },
    ]);
  });

  it("problems in several rules and conditions come back together", () => {
    const input = flag({
      rules: [
        { id: "a", conditions: [{ attribute: "x", op: "lt", values: ["1"] }], serve: { variant: "nope" } },
        { id: "a", conditions: [{ attribute: "x", op: "bogus" as "in", values: ["1"] }], serve: { variant: "on" } },
      ],
    });
    expect(problemsOf(input)).toEqual([
      { path: "rules[0].conditions[0].values[0]", message: 'operator "lt" takes numbers, got "1"' },
      { path: "rules[1].conditions[0].op", message: 'unknown operator "bogus"' },
      { path: "rules[0].serve.variant", message: `unknown variant "nope"; the flag's variants are "on", "off"` },
      { path: "rules[1].id", message: 'duplicate rule id "a" (also rules[0])' },
    ]);
  });
});

describe("defaults are filled in", () => {
  it("for a flag", () => {
    const checked = validateFlag({ key: "f", variants: { on: true, off: false }, offVariant: "off", fallthrough: { variant: "off" } });
    expect(checked).toStrictEqual({
      ok: true,
      problems: [],
      value: {
        key: "f",
        description: "",
        owner: "",
        kind: "release",
        variants: { on: true, off: false },
        offVariant: "off",
        enabled: false,
        rules: [],
        fallthrough: { variant: "off" },
        prerequisites: [],
        bucketBy: "id",
        tags: [],
        version: 1,
      },
    });
  });

  it("for a segment, an override and a ruleset", () => {
    expect(validateSegment({ key: "beta" })).toStrictEqual({
      ok: true,
      problems: [],
      value: { key: "beta", description: "", ids: [], conditions: [], version: 1 },
    });
    expect(validateOverride({ flag: "f", subject: "u1", variant: "on" })).toStrictEqual({
      ok: true,
      problems: [],
      value: { flag: "f", subject: "u1", variant: "on", source: "pinned" },
    });
    expect(validateRuleset({})).toStrictEqual({ ok: true, problems: [], value: { flags: [], segments: [], overrides: [] } });
    const ruleset = parseRuleset({ flags: [flag()] });
    expect(ruleset.flags[0]).toMatchObject({ kind: "release", bucketBy: "id", version: 1, rules: [] });
  });

  it("without changing what was given", () => {
    const input = flag({ description: "x", kind: "ops", bucketBy: "accountId", version: 7, salt: "" });
    expect(parseFlag(input)).toMatchObject({ description: "x", kind: "ops", bucketBy: "accountId", version: 7, salt: "" });
  });
});

describe("segments and overrides", () => {
  it("validateSegment rejects", () => {
    const problems = (input: unknown) => {
      const checked = validateSegment(input);
      return checked.ok ? [] : checked.problems;
    };
    expect(problems({ key: "beta", ids: ["u1", ""], conditions: [{ op: "inSegment", values: ["other"] }] })).toEqual([
      { path: "ids[1]", message: "ids must not be empty strings" },
      { path: "conditions[0].op", message: "a segment cannot test other segments" },
    ]);
    expect(problems({ key: "beta", ids: ["x".repeat(1025)], members: [] })).toEqual([
      { path: "ids[0]", message: "Too big: expected string to have <=1024 characters" },
      { path: "", message: 'Unrecognized key: "members"' },
    ]);
    expect(problems({ key: "beta", conditions: [{ attribute: "email", op: "endsWith", values: [1] }] })).toEqual([
      { path: "conditions[0].values[0]", message: 'operator "endsWith" takes strings, got 1' },
    ]);
  });

  it("validateOverride rejects", () => {
    const checked = validateOverride({ flag: "bad flag", subject: "", variant: "", source: "maybe" });
    expect(checked.ok ? [] : checked.problems).toEqual([
      { path: "flag", message: SLUG_MESSAGE },
      { path: "subject", message: "must not be empty" },
      { path: "variant", message: "must not be empty" },
      { path: "variant", message: SLUG_MESSAGE },
      { path: "source", message: 'source must be one of opt-in, opt-out, pinned, got "maybe"' },
    ]);
  });
});

describe("validateRuleset rejects, at the exact path", () => {
  const problemsOfRuleset = (input: unknown) => {
    const checked = validateRuleset(input);
    return checked.ok ? [] : checked.problems;
  };

  it.each<[string, unknown, Problem[]]>([
    ["a ruleset that is not an object", [flag()], [{ path: "", message: "a ruleset is an object { flags, segments, overrides }" }]],
    [
      "lists that are not arrays",
      { flags: {}, segments: "s", overrides: 1 },
      [
        { path: "flags", message: "flags must be an array" },
        { path: "segments", message: "segments must be an array" },
        { path: "overrides", message: "overrides must be an array" },
      ],
    ],
    [
      "an unknown field",
      { flags: [], rules: [] },
      [{ path: "rules", message: 'unknown field "rules"; a ruleset has flags, segments and overrides' }],
    ],
    [
      "an invalid flag, at its index",
      { flags: [flag({ key: "a" }), flag({ key: "b", offVariant: "of" })] },
      [{ path: "flags[1].offVariant", message: `unknown variant "of"; the flag's variants are "on", "off"` }],
    ],
    [
      "duplicate flag keys",
      { flags: [flag(), flag({ key: "g" }), flag()] },
      [{ path: "flags[2].key", message: 'duplicate flag key "f" (also flags[0])' }],
    ],
    [
      "duplicate segment keys",
      { segments: [{ key: "s" }, { key: "s" }] },
      [{ path: "segments[1].key", message: 'duplicate segment key "s" (also segments[0])' }],
    ],
    [
      "a prerequisite on an unknown flag or variant",
      {
        flags: [
          flag({
            prerequisites: [
              { flag: "ghost", variant: "on" },
              { flag: "g", variant: "maybe" },
            ],
          }),
          flag({ key: "g" }),
        ],
      },
      [
        { path: "flags[0].prerequisites[0].flag", message: 'unknown flag "ghost"' },
        { path: "flags[0].prerequisites[1].variant", message: 'flag "g" has no variant "maybe"' },
      ],
    ],
    [
      "a prerequisite cycle",
      {
        flags: [
          flag({ key: "a", prerequisites: [{ flag: "b", variant: "on" }] }),
          flag({ key: "b", prerequisites: [{ flag: "c", variant: "on" }] }),
          flag({ key: "c", prerequisites: [{ flag: "a", variant: "on" }] }),
        ],
      },
      [{ path: "flags[0].prerequisites", message: "prerequisite cycle: a → b → c → a" }],
    ],
    [
      "an unknown segment",
      {
        flags: [flag({ rules: [{ id: "r", conditions: [{ op: "inSegment", values: ["staff", "beta"] }], serve: { variant: "on" } }] })],
        segments: [{ key: "staff" }],
      },
      [{ path: "flags[0].rules[0].conditions[0].values[1]", message: 'unknown segment "beta"' }],
    ],
    [
      "overrides of unknown flags and variants, ambiguous opt-ins, pinned without a variant, a subject twice",
      {
        flags: [
          flag(),
          flag({ key: "colors", variants: { red: "r", blue: "b", none: "" }, offVariant: "none", fallthrough: { variant: "none" } }),
        ],
        overrides: [
          { flag: "ghost", subject: "u1" },
          { flag: "f", subject: "u1", variant: "maybe" },
          { flag: "colors", subject: "u1", source: "opt-in" },
          { flag: "f", subject: "u2" },
          { flag: "f", subject: "u3", source: "opt-in" },
          { flag: "f", subject: "u3", source: "opt-out" },
          { flag: "", subject: "" },
        ],
      },
      [
        { path: "overrides[6].flag", message: "must not be empty" },
        { path: "overrides[6].flag", message: SLUG_MESSAGE },
        { path: "overrides[6].subject", message: "must not be empty" },
        { path: "overrides[0].flag", message: 'unknown flag "ghost"' },
        { path: "overrides[1].variant", message: 'flag "f" has no variant "maybe"' },
        { path: "overrides[2].variant", message: 'flag "colors" has 2 variants besides its off variant; name the one to opt in to' },
        { path: "overrides[3].variant", message: "a pinned override needs a variant" },
        { path: "overrides[5].subject", message: 'subject "u3" already has an override for "f" (overrides[4])' },
      ],
    ],
  ])("%s", (_, input, expected) => {
    expect(problemsOfRuleset(input)).toEqual(expected);
  });

  it("accepts opt-in and opt-out overrides without a variant when the flag has one variant besides off", () => {
    const checked = validateRuleset({
      flags: [flag()],
      overrides: [
        { flag: "f", subject: "u1", source: "opt-in" },
        { flag: "f", subject: "u2", source: "opt-out" },
      ],
    });
    expect(checked.ok).toBe(true);
  });
});

describe("parseFlag and parseRuleset throw a ValidationError", () => {
  it("with code VALIDATION_FAILED, status 400, every problem and toJSON", () => {
    let error: unknown;
    try {
      parseFlag({ key: "checkout-v2", variants: { on: true, off: false }, offVariant: "of", fallthrough: { variant: "onn" } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toBeInstanceOf(DarkLaunchError);
    expect(error).toBeInstanceOf(Error);
    const validation = error as ValidationError;
    const problems = [
      { path: "offVariant", message: `unknown variant "of"; the flag's variants are "on", "off"` },
      { path: "fallthrough.variant", message: `unknown variant "onn"; the flag's variants are "on", "off"` },
    ];
    const message = `flag "checkout-v2" is invalid: offVariant: unknown variant "of"; the flag's variants are "on", "off"; fallthrough.variant: unknown variant "onn"; the flag's variants are "on", "off"`;
    expect(validation.name).toBe("ValidationError");
    expect(validation.code).toBe("VALIDATION_FAILED");
    expect(validation.status).toBe(400);
    expect(validation.problems).toEqual(problems);
    expect(validation.details).toEqual(problems);
    expect(validation.message).toBe(message);
    expect(validation.toJSON()).toEqual({ code: "VALIDATION_FAILED", message, details: problems });
    expect(JSON.parse(JSON.stringify(validation))).toEqual({ code: "VALIDATION_FAILED", message, details: problems });
  });

  it("names no key when the input has none, and shows a root problem without a path", () => {
    expect(() => parseFlag(42)).toThrow(
      new ValidationError("flag", [{ path: "", message: "Invalid input: expected object, received number" }]),
    );
    expect(() => parseFlag(42)).toThrow("flag is invalid: Invalid input: expected object, received number");
  });

  it("lists five problems in the message and counts the rest", () => {
    expect(() => parseRuleset({ flags: [{}, {}] })).toThrow(
      "ruleset is invalid: flags[0].key: is required; flags[0].variants: Invalid input: expected record, received undefined; " +
        "flags[0].offVariant: is required; flags[0].fallthrough: Invalid input: expected object, received undefined; " +
        "flags[1].key: is required; and 3 more",
    );
    try {
      parseRuleset({ flags: [{}, {}] });
    } catch (error) {
      expect((error as ValidationError).problems).toHaveLength(8);
    }
  });

  it("and return the parsed value when valid", () => {
    expect(parseFlag(flag({ key: "ok" })).key).toBe("ok");
    expect(parseRuleset({ flags: [flag()] }).flags.map((f) => f.key)).toEqual(["f"]);
  });
});

describe("formatPath", () => {
  it.each<[PropertyKey[], string]>([
    [[], ""],
    [["key"], "key"],
    [["rules", 2, "conditions", 0, "op"], "rules[2].conditions[0].op"],
    [["variants", "dark-mode"], 'variants["dark-mode"]'],
    [["variants", "dark mode"], 'variants["dark mode"]'],
    [["a b"], '["a b"]'],
    [["variants", "1st"], 'variants["1st"]'],
    [["variants", "0"], 'variants["0"]'],
    [["variants", ""], 'variants[""]'],
    [["variants", 'say "hi"'], 'variants["say \\"hi\\""]'],
    [["variants", "é"], 'variants["é"]'],
    [["$ref", "_x", "a1"], "$ref._x.a1"],
    [[0, "key"], "[0].key"],
    [["x", Symbol("s")], 'x["Symbol(s)"]'],
  ])("%j → %s", (path, expected) => {
    expect(formatPath(path)).toBe(expected);
  });
});

describe("references to a flag or segment that is itself invalid", () => {
  it("report that flag's problems once, not also as an unknown flag", () => {
    const checked = validateRuleset({
      flags: [flag({ key: "bad", offVariant: "nope" }), flag({ key: "child", prerequisites: [{ flag: "bad", variant: "on" }] })],
      overrides: [{ flag: "bad", subject: "u1", variant: "on" }],
    });
    expect(checked.problems).toEqual([
      { path: "flags[0].offVariant", message: 'unknown variant "nope"; the flag\'s variants are "on", "off"' },
    ]);
  });
});

describe("deep input", () => {
  const nested = (levels: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  };
  const withVariant = (on: unknown) => ({ key: "f", variants: { on, off: {} }, offVariant: "off", fallthrough: { variant: "on" } });

  it("accepts a variant value nested 32 deep", () => {
    expect(validateFlag(withVariant(nested(32))).ok).toBe(true);
  });

  it("refuses a variant value nested 33 deep, naming the path", () => {
    expect(validateFlag(withVariant(nested(33))).problems).toEqual([
      {
        path: `variants.on${".a".repeat(32)}`,
        message: "variant value nested deeper than 32 objects or arrays; the limit is 32",
      },
    ]);
  });

  it("refuses a flag nested thousands deep with a problem (a 400), not a stack overflow", () => {
    for (const levels of [1_300, 5_000, 100_000]) {
      const checked = validateFlag(withVariant(nested(levels)));
      expect(checked.problems).toEqual([
        {
          path: `variants.on${".a".repeat(62)}`,
          message: "nested deeper than 64 objects or arrays; nothing here nests that deep",
        },
      ]);
      expect(() => parseFlag(withVariant(nested(levels)))).toThrow(expect.objectContaining({ status: 400, code: "VALIDATION_FAILED" }));
    }
    const ruleset = validateRuleset({ flags: [withVariant(nested(5_000))], segments: [{ key: "s", ids: [], deep: nested(5_000) }] });
    expect(ruleset.problems.map((p) => p.path.slice(0, 22))).toEqual(["flags[0].variants.on.a", "segments[0].deep.a.a.a"]);
  });
});
