import fc from "fast-check";
import type { Condition } from "./condition-schema.js";
import type { FlagInput, OverrideInput, RulesetInput, SegmentInput, Serve } from "./flag-schema.js";

/** The clock rulesets from these generators are compiled with; schedules sit around it. */
export const ARBITRARY_NOW = Date.parse("2026-06-01T00:00:00Z");

/** A small pool so that ids, overrides and segment members meet often. */
const SUBJECTS = ["u1", "u2", "u3", "acme", "42", "ü-ß"];
const SEGMENT_KEYS = ["s0", "s1"];

const conditionArb = (withSegments: boolean): fc.Arbitrary<Condition> => {
  const negate = fc.option(fc.boolean(), { nil: undefined });
  const strings = (attribute: string, op: Condition["op"], pool: string[]) =>
    fc
      .record({ values: fc.subarray(pool, { minLength: 1 }), negate })
      .map(({ values, negate }) => ({ attribute, op, values, ...(negate === undefined ? {} : { negate }) }) as Condition);
  const numbers = (attribute: string, op: Condition["op"]) =>
    fc
      .record({ values: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 3 }), negate })
      .map(({ values, negate }) => ({ attribute, op, values, ...(negate === undefined ? {} : { negate }) }) as Condition);
  const ops: fc.Arbitrary<Condition>[] = [
    strings("country", "in", ["NL", "DE", "US"]),
    strings("plan", "in", ["free", "pro"]),
    strings("tags", "in", ["beta", "staff"]),
    numbers("age", "in"),
    strings("email", "startsWith", ["a", "jane"]),
    strings("email", "endsWith", ["corp.example", ".io"]),
    strings("email", "contains", ["@", "doe"]),
    strings("email", "matches", ["^[a-z]+@", "io$", "(x+x+)+y", "^(a|a?)+$"]),
    fc.constantFrom("lt", "lte", "gt", "gte").chain((op) => numbers("age", op)),
    fc.constantFrom("before", "after").chain((op) => strings("signup", op, ["2026-01-01T00:00:00Z", "2026-06-01"])),
    fc.constantFrom("semverEq", "semverLt", "semverGt").chain((op) => strings("version", op, ["1.2.0", "2", "v1.10.3"])),
  ];
  if (withSegments) {
    ops.push(
      fc
        .record({ values: fc.subarray(SEGMENT_KEYS, { minLength: 1 }), negate })
        .map(({ values, negate }) => ({ op: "inSegment", values, ...(negate === undefined ? {} : { negate }) }) as Condition),
    );
  }
  return fc.oneof(...ops);
};

/** A split over some of `variants`, weights in whole hundredths summing to exactly 100. */
const splitArb = (variants: readonly string[]): fc.Arbitrary<Serve> =>
  fc.shuffledSubarray([...variants], { minLength: 1 }).chain((chosen) =>
    fc.uniqueArray(fc.integer({ min: 1, max: 9_999 }), { minLength: chosen.length - 1, maxLength: chosen.length - 1 }).map((cuts) => {
      const bounds = [0, ...cuts.sort((a, b) => a - b), 10_000];
      return { split: chosen.map((variant, i) => ({ variant, weight: (bounds[i + 1]! - bounds[i]!) / 100 })) };
    }),
  );

const serveArb = (variants: readonly string[]): fc.Arbitrary<Serve> =>
  fc.oneof(
    fc.constantFrom(...variants).map((variant) => ({ variant })),
    splitArb(variants),
  );

const VARIANT_SCHEMES = [
  { on: true, off: false },
  { on: "A", alt: "B", off: "O" },
] as const;

/** Flag `f<index>`: may require the flags before it, so prerequisites never form a cycle. */
const flagArb = (index: number): fc.Arbitrary<FlagInput> =>
  fc.constantFrom(...VARIANT_SCHEMES).chain((variants) => {
    const names = Object.keys(variants);
    return fc
      .record({
        key: fc.constant(`f${index}`),
        variants: fc.constant({ ...variants }),
        offVariant: fc.constant("off"),
        // Mostly enabled: a disabled flag decides before anything else is tried.
        enabled: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
        rules: fc.array(fc.record({ conditions: fc.array(conditionArb(true), { maxLength: 3 }), serve: serveArb(names) }), {
          maxLength: 3,
        }),
        fallthrough: serveArb(names),
        schedule: fc.option(
          fc.constantFrom(
            { start: "2026-01-01T00:00:00Z" },
            { start: "2026-12-01T00:00:00Z" },
            { end: "2026-03-01T00:00:00Z" },
            { start: "2026-05-01T00:00:00Z", end: "2026-07-01T00:00:00Z" },
          ),
          { nil: undefined },
        ),
        prerequisites:
          index === 0
            ? fc.constant<{ flag: string; variant: string }[]>([])
            : fc.uniqueArray(
                fc.record({ flag: fc.integer({ min: 0, max: index - 1 }).map((i) => `f${i}`), variant: fc.constantFrom("on", "off") }),
                { maxLength: 2, selector: (p) => p.flag },
              ),
        salt: fc.option(fc.constantFrom("", "shared", "f0"), { nil: undefined }),
        bucketBy: fc.constantFrom("id", "id", "account"),
      })
      .map(({ rules, schedule, salt, ...flag }) => ({
        ...flag,
        rules: rules.map((rule, i) => ({ id: `r${i}`, ...rule })),
        ...(schedule === undefined ? {} : { schedule }),
        ...(salt === undefined ? {} : { salt }),
      }));
  });

const segmentArb = (key: string): fc.Arbitrary<SegmentInput> =>
  fc.record({
    key: fc.constant(key),
    ids: fc.subarray(SUBJECTS),
    conditions: fc.array(conditionArb(false), { maxLength: 2 }),
  });

/** Valid rulesets: 1–4 flags (prerequisites, schedules, splits, rules over every operator), two segments, overrides. */
export const rulesetArb: fc.Arbitrary<RulesetInput> = fc
  .integer({ min: 1, max: 4 })
  .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => flagArb(i))))
  .chain((flags) =>
    fc.record({
      flags: fc.constant(flags),
      segments: fc.tuple(...SEGMENT_KEYS.map(segmentArb)),
      overrides: fc.uniqueArray(
        fc.record({
          flag: fc.constantFrom(...flags.map((f) => f.key)),
          subject: fc.constantFrom(...SUBJECTS),
          source: fc.constantFrom("pinned", "opt-in", "opt-out"),
          variant: fc.constantFrom("on", "off"),
          named: fc.boolean(),
        }),
        { maxLength: 4, selector: (o) => `${o.flag}\u0000${o.subject}` },
      ),
    }),
  )
  .map(({ flags, segments, overrides }) => ({
    flags,
    segments,
    // opt-in and opt-out may leave the variant out; a flag with two "on" variants needs it named.
    overrides: overrides.map(
      ({ named, variant, ...o }): OverrideInput =>
        o.source === "pinned" || named ? { ...o, variant } : o.source === "opt-out" ? o : { ...o, variant },
    ),
  }));

/** Contexts as callers send them: any mix of the attributes rules test, some odd subjects, sometimes no object at all. */
export const contextArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record(
      {
        id: fc.oneof(
          fc.constantFrom(...SUBJECTS),
          fc.constant(""),
          fc.integer({ min: 0, max: 50 }),
          fc.constant({ nested: 1 }),
          fc.constant(true),
        ),
        targetingKey: fc.constantFrom(...SUBJECTS),
        account: fc.constantFrom(...SUBJECTS),
        country: fc.constantFrom("NL", "DE", "US", "FR"),
        plan: fc.constantFrom("free", "pro", 30),
        age: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constant("30")),
        email: fc.constantFrom("jane.doe@corp.example", "a@x.io", "xxxxy", "aaaa!", "bob@"),
        tags: fc.subarray(["beta", "staff", "x"]),
        version: fc.constantFrom("1.2.0", "v2.0.0", "1.10.3", "nope"),
        signup: fc.oneof(fc.constantFrom("2025-12-31T00:00:00Z", "2026-03-01"), fc.integer({ min: 1.7e12, max: 1.8e12 })),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, "u1", 42, ["u1"]) },
);
