import { describe, expect, it } from "vitest";
import type { z } from "zod";
import type { ConditionSchema } from "./condition-schema.js";
import type { SegmentInput } from "./flag-schema.js";
import { flag, snapshotOf } from "./test-builders.js";
import { validateFlag } from "./validate.js";

type ConditionInput = z.input<typeof ConditionSchema>;

/** True when a rule made of this one condition matches the context (the flag is valid and compiles). */
function holds(condition: ConditionInput, context: Record<string, unknown>, segments: SegmentInput[] = []): boolean {
  const snapshot = snapshotOf([flag({ rules: [{ id: "r", conditions: [condition], serve: { variant: "on" } }] })], { segments });
  const result = snapshot.evaluate("f", context);
  expect(result.errorCode).toBeUndefined();
  return result.reason === "RULE_MATCH";
}

type Scalar = string | number | boolean;

/** For each operator: values, an attribute value that satisfies them and one that does not. */
const CASES: { op: ConditionInput["op"]; values: Scalar[]; yes: Scalar; no: Scalar }[] = [
  { op: "in", values: ["NL", "DE"], yes: "DE", no: "FR" },
  { op: "startsWith", values: ["ada@", "bob@"], yes: "bob@example.com", no: "eve@example.com" },
  { op: "endsWith", values: ["@example.com", "@example.org"], yes: "ada@example.org", no: "ada@example.net" },
  { op: "contains", values: ["beta", "canary"], yes: "eu-canary-3", no: "eu-stable-3" },
  { op: "matches", values: ["^admin-", "^u-\\d+$"], yes: "u-42", no: "u-42x" },
  { op: "lt", values: [10, 18], yes: 17, no: 18 },
  { op: "lte", values: [18], yes: 18, no: 18.5 },
  { op: "gt", values: [65], yes: 66, no: 65 },
  { op: "gte", values: [65], yes: 65, no: 64.99 },
  { op: "before", values: ["2026-02-01T00:00:00Z"], yes: "2026-01-31T23:59:59Z", no: "2026-02-01T00:00:00Z" },
  { op: "after", values: ["2026-02-01"], yes: "2026-02-01T00:00:00.001Z", no: "2026-02-01T00:00:00Z" },
  { op: "semverEq", values: ["1.2.3"], yes: "1.2.3", no: "1.2.4" },
  { op: "semverLt", values: ["2.0.0"], yes: "2.0.0-rc.1", no: "2.0.0" },
  { op: "semverGt", values: ["1.9.0"], yes: "1.10.0", no: "1.9.0" },
];

describe.each(CASES)("$op", ({ op, values, yes, no }) => {
  const plain: ConditionInput = { attribute: "a", op, values };
  const negated: ConditionInput = { ...plain, negate: true };

  it(`holds for ${JSON.stringify(yes)} and not for ${JSON.stringify(no)}`, () => {
    expect(holds(plain, { a: yes })).toBe(true);
    expect(holds(plain, { a: no })).toBe(false);
  });

  it("negate inverts it", () => {
    expect(holds(negated, { a: yes })).toBe(false);
    expect(holds(negated, { a: no })).toBe(true);
  });

  it("an absent or null attribute never holds, negated or not", () => {
    for (const context of [{}, { a: null }, { a: undefined }, { other: yes }]) {
      expect(holds(plain, context)).toBe(false);
      expect(holds(negated, context)).toBe(false);
    }
  });

  it("an array attribute holds when any element does", () => {
    expect(holds(plain, { a: [no, yes] })).toBe(true);
    expect(holds(plain, { a: [no, no] })).toBe(false);
    expect(holds(negated, { a: [no, yes] })).toBe(false);
    expect(holds(negated, { a: [no, no] })).toBe(true);
  });

  it("an object attribute is a type mismatch and does not hold", () => {
    expect(holds(plain, { a: { value: yes } })).toBe(false);
    expect(holds(plain, { a: [{ value: yes }] })).toBe(false);
  });
});

describe("several values: the condition holds when any value does", () => {
  it.each([
    ["in", ["NL", "DE", "BE"], "BE"],
    ["startsWith", ["x", "y", "ad"], "ada"],
    ["endsWith", ["x", "y", "da"], "ada"],
    ["contains", ["x", "y", "d"], "ada"],
    ["matches", ["^x$", "^y$", "^a.a$"], "ada"],
    ["lt", [1, 2, 100], 50],
    ["lte", [1, 2, 50], 50],
    ["gt", [100, 200, 10], 50],
    ["gte", [100, 200, 50], 50],
    ["before", ["2020-01-01", "2030-01-01"], "2026-06-01"],
    ["after", ["2030-01-01", "2020-01-01"], "2026-06-01"],
    ["semverEq", ["1.0.0", "2.0.0"], "2.0.0"],
    ["semverLt", ["1.0.0", "3.0.0"], "2.0.0"],
    ["semverGt", ["3.0.0", "1.0.0"], "2.0.0"],
  ] as [ConditionInput["op"], Scalar[], Scalar][])("%s %j holds for %j through its last value only", (op, values, attribute) => {
    expect(holds({ attribute: "a", op, values }, { a: attribute })).toBe(true);
    expect(holds({ attribute: "a", op, values: values.slice(0, -1) }, { a: attribute })).toBe(false);
  });
});

describe("in", () => {
  it("compares text forms, so numbers and booleans match their strings", () => {
    expect(holds({ attribute: "seats", op: "in", values: ["30"] }, { seats: 30 })).toBe(true);
    expect(holds({ attribute: "seats", op: "in", values: [30] }, { seats: "30" })).toBe(true);
    expect(holds({ attribute: "beta", op: "in", values: [true] }, { beta: "true" })).toBe(true);
    expect(holds({ attribute: "beta", op: "in", values: ["true"] }, { beta: true })).toBe(true);
    expect(holds({ attribute: "beta", op: "in", values: ["true"] }, { beta: false })).toBe(false);
  });

  it("is case-sensitive and exact", () => {
    expect(holds({ attribute: "country", op: "in", values: ["NL"] }, { country: "nl" })).toBe(false);
    expect(holds({ attribute: "country", op: "in", values: ["NL"] }, { country: "NL " })).toBe(false);
  });

  it("answers the same for one value, a short list and a long list", () => {
    const long = Array.from({ length: 50 }, (_, i) => `c${i}`);
    for (const values of [["c7"], long.slice(0, 8), long]) {
      expect(holds({ attribute: "a", op: "in", values }, { a: "c7" }), `${values.length} values`).toBe(true);
      expect(holds({ attribute: "a", op: "in", values }, { a: "c70" }), `${values.length} values`).toBe(false);
      expect(holds({ attribute: "a", op: "in", values }, { a: ["x", "c7"] }), `${values.length} values`).toBe(true);
    }
    const numbers = Array.from({ length: 20 }, (_, i) => i * 10);
    expect(holds({ attribute: "a", op: "in", values: numbers }, { a: 190 })).toBe(true);
    expect(holds({ attribute: "a", op: "in", values: numbers }, { a: "190" })).toBe(true);
    expect(holds({ attribute: "a", op: "in", values: numbers }, { a: 191 })).toBe(false);
  });
});

describe("string operators", () => {
  it("are case-sensitive", () => {
    expect(holds({ attribute: "email", op: "endsWith", values: ["@example.com"] }, { email: "ADA@EXAMPLE.COM" })).toBe(false);
    expect(holds({ attribute: "email", op: "contains", values: ["Example"] }, { email: "ada@example.com" })).toBe(false);
  });

  it("matches is an unanchored regex search", () => {
    expect(holds({ attribute: "path", op: "matches", values: ["/v2/"] }, { path: "/api/v2/orders" })).toBe(true);
    expect(holds({ attribute: "path", op: "matches", values: ["^/v2/"] }, { path: "/api/v2/orders" })).toBe(false);
    expect(holds({ attribute: "email", op: "matches", values: ["^[a-z]+@example\\.com$"] }, { email: "ada@example.com" })).toBe(true);
    expect(holds({ attribute: "email", op: "matches", values: ["^[a-z]+@example\\.com$"] }, { email: "ada@exampleXcom" })).toBe(false);
  });
});

describe("type mismatches do not hold", () => {
  it.each([
    ["a string with lt", { attribute: "age", op: "lt", values: [18] }, "17"],
    ["a boolean with gte", { attribute: "age", op: "gte", values: [0] }, true],
    ["NaN with lte", { attribute: "age", op: "lte", values: [18] }, Number.NaN],
    ["a number with semverEq", { attribute: "v", op: "semverEq", values: ["2.0.0"] }, 2],
    ["a non-version with semverGt", { attribute: "v", op: "semverGt", values: ["0.0.1"] }, "latest"],
    ["a boolean with before", { attribute: "d", op: "before", values: ["2030-01-01"] }, true],
    ["a non-date with after", { attribute: "d", op: "after", values: ["2000-01-01"] }, "yesterday"],
    ["a date-time without a zone with after", { attribute: "d", op: "after", values: ["2000-01-01"] }, "2026-01-15T00:00:00"],
    ["a day the month lacks with after", { attribute: "d", op: "after", values: ["2000-01-01"] }, "2026-02-30"],
    ["an object with in", { attribute: "a", op: "in", values: ["[object Object]"] }, {}],
    ["an object with matches", { attribute: "a", op: "matches", values: ["object"] }, { a: 1 }],
    ["a nested array with contains", { attribute: "a", op: "contains", values: ["x"] }, [["x"]]],
  ] as [string, ConditionInput, unknown][])("%s", (_, condition, value) => {
    expect(holds(condition, { [condition.attribute ?? ""]: value })).toBe(false);
  });

  it("only absence is exempt from negation: a negated type mismatch holds", () => {
    expect(holds({ attribute: "age", op: "lt", values: [18], negate: true }, { age: "17" })).toBe(true);
    expect(holds({ attribute: "age", op: "lt", values: [18], negate: true }, {})).toBe(false);
  });
});

describe("dates", () => {
  it("compare instants: ISO strings with any zone, dates as UTC midnight, and epoch milliseconds", () => {
    const cutoff = "2026-02-01"; // 2026-02-01T00:00:00Z
    // 2026-01-31T23:30:00-01:00 is 2026-02-01T00:30:00Z.
    expect(holds({ attribute: "d", op: "after", values: [cutoff] }, { d: "2026-01-31T23:30:00-01:00" })).toBe(true);
    expect(holds({ attribute: "d", op: "before", values: [cutoff] }, { d: "2026-02-01T00:30:00+01:00" })).toBe(true);
    const ms = Date.UTC(2026, 1, 1);
    expect(holds({ attribute: "d", op: "before", values: [cutoff] }, { d: ms - 1 })).toBe(true);
    expect(holds({ attribute: "d", op: "before", values: [cutoff] }, { d: ms })).toBe(false);
    expect(holds({ attribute: "d", op: "after", values: [ms] }, { d: "2026-02-01T00:00:00.001Z" })).toBe(true);
  });

  it("an instant equal to the value is neither before nor after it", () => {
    expect(holds({ attribute: "d", op: "before", values: ["2026-02-01"] }, { d: "2026-02-01T00:00:00Z" })).toBe(false);
    expect(holds({ attribute: "d", op: "after", values: ["2026-02-01"] }, { d: "2026-02-01T00:00:00Z" })).toBe(false);
  });
});

describe("semver operators", () => {
  it("read versions as clients send them: leading v, partial versions, build metadata ignored", () => {
    expect(holds({ attribute: "v", op: "semverEq", values: ["1.2.3"] }, { v: "v1.2.3" })).toBe(true);
    expect(holds({ attribute: "v", op: "semverEq", values: ["1.2.0"] }, { v: "1.2" })).toBe(true);
    expect(holds({ attribute: "v", op: "semverEq", values: ["20.0.0"] }, { v: "v20" })).toBe(true);
    expect(holds({ attribute: "v", op: "semverEq", values: ["1.2.3"] }, { v: "1.2.3+build.7" })).toBe(true);
    expect(holds({ attribute: "v", op: "semverEq", values: ["1.2.3"] }, { v: "1.2.3-rc.1" })).toBe(false);
  });

  it("compare numerically, not as text", () => {
    expect(holds({ attribute: "v", op: "semverLt", values: ["1.10.0"] }, { v: "1.9.9" })).toBe(true);
    expect(holds({ attribute: "v", op: "semverGt", values: ["1.9.9"] }, { v: "1.10.0" })).toBe(true);
    expect(holds({ attribute: "v", op: "semverGt", values: ["1.10.0"] }, { v: "1.9.9" })).toBe(false);
  });
});

describe("inSegment", () => {
  const segments: SegmentInput[] = [
    { key: "beta", ids: ["u1", "u2"], conditions: [{ attribute: "email", op: "endsWith", values: ["@example.com"] }] },
    { key: "staff", ids: ["s1"] },
  ];
  const inBeta: ConditionInput = { op: "inSegment", values: ["beta"] };

  it("holds for a subject in the id list", () => {
    expect(holds(inBeta, { id: "u2" }, segments)).toBe(true);
    expect(holds(inBeta, { id: "u3" }, segments)).toBe(false);
  });

  it("holds for a context that meets the segment's conditions, with or without a subject", () => {
    expect(holds(inBeta, { id: "u3", email: "ada@example.com" }, segments)).toBe(true);
    expect(holds(inBeta, { email: "ada@example.com" }, segments)).toBe(true);
    expect(holds(inBeta, { id: "u3", email: "ada@example.org" }, segments)).toBe(false);
  });

  it("a segment without conditions matches by id only", () => {
    expect(holds({ op: "inSegment", values: ["staff"] }, { id: "s1" }, segments)).toBe(true);
    expect(holds({ op: "inSegment", values: ["staff"] }, { id: "u1", email: "ada@example.com" }, segments)).toBe(false);
  });

  it("negate inverts it", () => {
    const notInBeta: ConditionInput = { ...inBeta, negate: true };
    expect(holds(notInBeta, { id: "u1" }, segments)).toBe(false);
    expect(holds(notInBeta, { id: "u3", email: "ada@example.com" }, segments)).toBe(false);
    expect(holds(notInBeta, { id: "u3" }, segments)).toBe(true);
  });

  it("several segments: any one holds", () => {
    const either: ConditionInput = { op: "inSegment", values: ["staff", "beta"] };
    expect(holds(either, { id: "s1" }, segments)).toBe(true);
    expect(holds(either, { id: "u1" }, segments)).toBe(true);
    expect(holds(either, { id: "x" }, segments)).toBe(false);
  });

  it("the subject is the flag's bucketBy attribute, and targetingKey stands in for id", () => {
    const byAccount = snapshotOf(
      [
        flag({
          bucketBy: "accountId",
          rules: [{ id: "r", conditions: [{ op: "inSegment", values: ["staff"] }], serve: { variant: "on" } }],
        }),
      ],
      { segments },
    );
    expect(byAccount.evaluate("f", { id: "u9", accountId: "s1" }).reason).toBe("RULE_MATCH");
    expect(byAccount.evaluate("f", { id: "s1", accountId: "a9" }).reason).toBe("FALLTHROUGH");
    expect(holds({ op: "inSegment", values: ["staff"] }, { targetingKey: "s1" }, segments)).toBe(true);
  });

  it("a numeric subject is matched by its text", () => {
    expect(holds({ op: "inSegment", values: ["numbers"] }, { id: 42 }, [{ key: "numbers", ids: ["42"] }])).toBe(true);
  });
});

describe("attributes", () => {
  it("id reads OpenFeature's targetingKey when id is absent", () => {
    expect(holds({ attribute: "id", op: "in", values: ["u1"] }, { targetingKey: "u1" })).toBe(true);
    expect(holds({ attribute: "id", op: "in", values: ["u1"] }, { id: "u2", targetingKey: "u1" })).toBe(false);
  });

  it("properties inherited from Object.prototype are absent attributes, negated or not", () => {
    for (const attribute of ["constructor", "toString", "hasOwnProperty", "__proto__"]) {
      expect(holds({ attribute, op: "in", values: ["x"], negate: true }, {}), attribute).toBe(false);
      expect(holds({ attribute, op: "matches", values: ["."] }, {}), attribute).toBe(false);
    }
    // An own attribute of that name is read as usual.
    expect(holds({ attribute: "constructor", op: "in", values: ["x"] }, { constructor: "x" })).toBe(true);
    expect(holds({ attribute: "constructor", op: "in", values: ["x"], negate: true }, { constructor: "y" })).toBe(true);
  });

  it("a context without a prototype is read like any other", () => {
    const context = Object.assign(Object.create(null) as Record<string, unknown>, { country: "NL" });
    expect(holds({ attribute: "country", op: "in", values: ["NL"] }, context)).toBe(true);
    expect(holds({ attribute: "plan", op: "in", values: ["pro"], negate: true }, context)).toBe(false);
  });
});

describe("conditions are checked when the flag is saved", () => {
  const problemsOf = (condition: ConditionInput) => {
    const checked = validateFlag(flag({ rules: [{ id: "r", conditions: [condition], serve: { variant: "on" } }] }));
    return checked.ok ? [] : checked.problems;
  };

  it("a day the month lacks is not a date", () => {
    expect(problemsOf({ attribute: "d", op: "before", values: ["2026-02-29"] })).toEqual([
      {
        path: "rules[0].conditions[0].values[0]",
        message: 'operator "before" takes ISO 8601 dates with a zone or epoch milliseconds, got "2026-02-29"',
      },
    ]);
    expect(problemsOf({ attribute: "d", op: "before", values: ["2028-02-29"] })).toEqual([]);
  });
});
