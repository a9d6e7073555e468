import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FlagInput, OverrideInput, SegmentInput, VariantValue } from "./flag-schema.js";
import { type OpenFeatureReason, REASONS, type Reason, toOpenFeatureReason } from "./result.js";
import { flag, referencePosition, rollout, snapshotOf } from "./test-builders.js";

const NOW = Date.parse("2026-06-01T00:00:00Z");

describe("order of evaluation (docs/architecture.md#order-of-evaluation)", () => {
  // Every step of §3.3 can decide this flag; each case below clears the steps before the one it tests.
  const gate = flag({
    key: "gate",
    rules: [{ id: "open", conditions: [{ attribute: "gate", op: "in", values: ["open"] }], serve: { variant: "on" } }],
  });
  const target = (overrides: Partial<FlagInput> = {}) =>
    flag({
      version: 7,
      schedule: { start: "2026-05-01T00:00:00Z", end: "2026-07-01T00:00:00Z" },
      prerequisites: [{ flag: "gate", variant: "on" }],
      rules: [
        { id: "pro", conditions: [{ attribute: "plan", op: "in", values: ["pro"] }], serve: { variant: "on" } },
        { id: "nl", conditions: [{ attribute: "country", op: "in", values: ["NL"] }], serve: { variant: "on" } },
      ],
      fallthrough: rollout(50),
      ...overrides,
    });
  const overrides: OverrideInput[] = [{ flag: "f", subject: "vip", variant: "on" }];
  const evaluate = (overridesOfFlag: Partial<FlagInput>, context: Record<string, unknown>, now = NOW) =>
    snapshotOf([gate, target(overridesOfFlag)], { overrides }, { now: () => now }).evaluate("f", context, false);
  // A context for which every step from the schedule on would decide.
  const everything = { id: "vip", gate: "open", plan: "pro", country: "NL" };

  it("1. DISABLED beats everything and serves the off variant", () => {
    for (const now of [NOW, Date.parse("2027-01-01T00:00:00Z")]) {
      for (const context of [everything, { ...everything, gate: "closed" }, {}]) {
        expect(evaluate({ enabled: false }, context, now)).toEqual({
          flagKey: "f",
          variant: "off",
          value: false,
          reason: "DISABLED",
          openFeatureReason: "DISABLED",
          included: false,
          ruleId: undefined,
          position: undefined,
          flagVersion: 7,
          errorCode: undefined,
          errorMessage: undefined,
        });
      }
    }
  });

  it("2. outside the schedule comes before prerequisites: SCHEDULED_OFF", () => {
    for (const now of [Date.parse("2026-04-30T23:59:59.999Z"), Date.parse("2026-07-01T00:00:00Z")]) {
      for (const context of [everything, { ...everything, gate: "closed" }]) {
        const result = evaluate({}, context, now);
        expect(result.reason).toBe("SCHEDULED_OFF");
        expect(result.variant).toBe("off");
        expect(result.openFeatureReason).toBe("DISABLED");
      }
    }
  });

  it("the schedule includes its start and excludes its end", () => {
    expect(evaluate({}, everything, Date.parse("2026-05-01T00:00:00Z")).reason).toBe("OVERRIDE");
    expect(evaluate({}, everything, Date.parse("2026-06-30T23:59:59.999Z")).reason).toBe("OVERRIDE");
    expect(evaluate({ schedule: { end: "2026-06-01T00:00:00Z" } }, everything).reason).toBe("SCHEDULED_OFF");
    expect(evaluate({ schedule: { start: "2026-06-01T00:00:00Z" } }, everything).reason).toBe("OVERRIDE");
  });

  it("3. a prerequisite not served comes before overrides: PREREQUISITE_FAILED", () => {
    const result = evaluate({}, { ...everything, gate: "closed" });
    expect(result.reason).toBe("PREREQUISITE_FAILED");
    expect(result.variant).toBe("off");
    expect(result.openFeatureReason).toBe("DEFAULT");
  });

  it("a prerequisite that is off is not met, even when its off variant is the one required", () => {
    const offGate = snapshotOf([
      flag({ key: "gate", enabled: false }),
      flag({ prerequisites: [{ flag: "gate", variant: "off" }], fallthrough: { variant: "on" } }),
    ]);
    expect(offGate.evaluate("f", { id: "u1" }).reason).toBe("PREREQUISITE_FAILED");
    const servingOff = snapshotOf([
      flag({ key: "gate" }),
      flag({ prerequisites: [{ flag: "gate", variant: "off" }], fallthrough: { variant: "on" } }),
    ]);
    expect(servingOff.evaluate("f", { id: "u1" }).reason).toBe("FALLTHROUGH");
  });

  it("4. an override comes before rules: OVERRIDE", () => {
    const result = evaluate({}, everything);
    expect(result).toMatchObject({ variant: "on", value: true, reason: "OVERRIDE", openFeatureReason: "TARGETING_MATCH", included: true });
    expect(result.ruleId).toBeUndefined();
  });

  it("an opt-out override beats a matching rule and serves the off variant", () => {
    const snapshot = snapshotOf([target({ prerequisites: [], schedule: undefined })], {
      overrides: [{ flag: "f", subject: "u1", source: "opt-out" }],
    });
    expect(snapshot.evaluate("f", { id: "u1", plan: "pro" })).toMatchObject({ variant: "off", reason: "OVERRIDE", included: false });
  });

  it("5. rules in order: the first whose conditions all hold serves, with its id", () => {
    const both = evaluate({}, { ...everything, id: "u1" });
    expect(both).toMatchObject({ variant: "on", reason: "RULE_MATCH", ruleId: "pro", openFeatureReason: "TARGETING_MATCH" });
    expect(evaluate({}, { id: "u1", gate: "open", country: "NL" }).ruleId).toBe("nl");
    const reordered = evaluate({ rules: [...(target().rules ?? [])].reverse() }, { ...everything, id: "u1" });
    expect(reordered.ruleId).toBe("nl");
  });

  it("a rule holds only when all its conditions do; a rule without conditions always holds", () => {
    const snapshot = snapshotOf([
      flag({
        rules: [
          {
            id: "eu-pro",
            conditions: [
              { attribute: "country", op: "in", values: ["NL", "DE"] },
              { attribute: "plan", op: "in", values: ["pro"] },
            ],
            serve: { variant: "on" },
          },
          { id: "everyone-else", conditions: [], serve: { variant: "off" } },
        ],
        fallthrough: { variant: "on" },
      }),
    ]);
    expect(snapshot.evaluate("f", { country: "DE", plan: "pro" }).ruleId).toBe("eu-pro");
    expect(snapshot.evaluate("f", { country: "DE", plan: "free" }).ruleId).toBe("everyone-else");
    expect(snapshot.evaluate("f", {}).ruleId).toBe("everyone-else");
  });

  it("6. the fallthrough: a split gives ROLLOUT_INCLUDED or ROLLOUT_EXCLUDED at the subject's position", () => {
    for (const id of ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"]) {
      const position = referencePosition(id, "f");
      const included = position < 50;
      expect(evaluate({}, { id, gate: "open" }), id).toEqual({
        flagKey: "f",
        variant: included ? "on" : "off",
        value: included,
        reason: included ? "ROLLOUT_INCLUDED" : "ROLLOUT_EXCLUDED",
        openFeatureReason: "SPLIT",
        included,
        ruleId: undefined,
        position,
        flagVersion: 7,
        errorCode: undefined,
        errorMessage: undefined,
      });
    }
  });

  it("a split between two variants that are both not off includes everyone", () => {
    const snapshot = snapshotOf([
      flag({
        variants: { blue: "blue", green: "green", off: "none" },
        fallthrough: {
          split: [
            { variant: "blue", weight: 50 },
            { variant: "green", weight: 50 },
          ],
        },
      }),
    ]);
    for (const id of ["u1", "u2", "u3", "u4"]) {
      const result = snapshot.evaluate("f", { id });
      expect(result.reason).toBe("ROLLOUT_INCLUDED");
      expect(result.variant).toBe(referencePosition(id, "f") < 50 ? "blue" : "green");
    }
  });

  it("6. a single-variant fallthrough gives FALLTHROUGH", () => {
    const result = evaluate({ fallthrough: { variant: "on" } }, { id: "u1", gate: "open" });
    expect(result).toMatchObject({ variant: "on", value: true, reason: "FALLTHROUGH", openFeatureReason: "DEFAULT", included: true });
    expect(result.position).toBeUndefined();
  });

  it("the salt defaults to the key; salt '' hashes the plain subject", () => {
    const at = (salt: string | undefined, id: string) =>
      snapshotOf([flag({ key: "checkout-v2", salt, fallthrough: rollout(50) })]).evaluate("checkout-v2", { id }).position;
    expect(at(undefined, "u42")).toBe(referencePosition("u42", "checkout-v2"));
    expect(at("", "u42")).toBe(referencePosition("u42", ""));
    expect(at("shared", "u42")).toBe(referencePosition("u42", "shared"));
  });
});

describe("errors return the caller's default", () => {
  const snapshot = snapshotOf([
    flag({ fallthrough: rollout(50) }),
    flag({ key: "json", variants: { on: { color: "blue" }, off: {} } }),
    flag({ key: "count", variants: { on: 10, off: 0 } }),
  ]);

  it("FLAG_NOT_FOUND", () => {
    expect(snapshot.evaluate("nope", { id: "u1" }, true)).toEqual({
      flagKey: "nope",
      variant: undefined,
      value: true,
      reason: "ERROR",
      openFeatureReason: "ERROR",
      included: false,
      ruleId: undefined,
      position: undefined,
      flagVersion: undefined,
      errorCode: "FLAG_NOT_FOUND",
      errorMessage: 'flag "nope" does not exist',
    });
  });

  it("TYPE_MISMATCH when the default is not of the flag's type", () => {
    expect(snapshot.evaluate("f", { id: "u1" }, "yes")).toEqual({
      flagKey: "f",
      variant: undefined,
      value: "yes",
      reason: "ERROR",
      openFeatureReason: "ERROR",
      included: false,
      ruleId: undefined,
      position: undefined,
      flagVersion: 1,
      errorCode: "TYPE_MISMATCH",
      errorMessage: 'flag "f" serves boolean values, not string',
    });
    expect(snapshot.evaluate("count", {}, true)).toMatchObject({ value: true, errorCode: "TYPE_MISMATCH" });
    expect(snapshot.evaluate("json", {}, "x")).toMatchObject({
      value: "x",
      errorCode: "TYPE_MISMATCH",
      errorMessage: 'flag "json" serves json values, not string',
    });
    // Objects and arrays are both JSON.
    expect(snapshot.evaluate("json", {}, [])).toMatchObject({ reason: "FALLTHROUGH", value: {} });
    expect(snapshot.evaluate("count", {}, 5)).toMatchObject({ reason: "FALLTHROUGH", value: 0 });
  });

  it("INVALID_CONTEXT for a context that is not an object", () => {
    for (const context of ["u1", 42, true, ["u1"], Symbol("u1")]) {
      expect(snapshot.evaluate("f", context, false)).toEqual({
        flagKey: "f",
        variant: undefined,
        value: false,
        reason: "ERROR",
        openFeatureReason: "ERROR",
        included: false,
        ruleId: undefined,
        position: undefined,
        flagVersion: 1,
        errorCode: "INVALID_CONTEXT",
        errorMessage: "the context must be an object of attributes",
      });
    }
  });

  it("no context at all is an empty one, not an error", () => {
    expect(snapshot.evaluate("f", undefined, false).reason).toBe("MISSING_SUBJECT");
    expect(snapshot.evaluate("f", null, false).reason).toBe("MISSING_SUBJECT");
  });

  it("INVALID_CONTEXT for a subject attribute that is an object, a boolean or not a finite number", () => {
    for (const id of [{ id: "u1" }, ["u1"], true, false, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(snapshot.evaluate("f", { id }, true), JSON.stringify(id)).toEqual({
        flagKey: "f",
        variant: undefined,
        value: true,
        reason: "ERROR",
        openFeatureReason: "ERROR",
        included: false,
        ruleId: undefined,
        position: undefined,
        flagVersion: 1,
        errorCode: "INVALID_CONTEXT",
        errorMessage: 'the subject attribute "id" must be a string or a number',
      });
    }
    expect(snapshot.evaluate("f", { targetingKey: { id: "u1" } }, true).errorCode).toBe("INVALID_CONTEXT");
  });

  it("without a default, an error's value is undefined", () => {
    expect(snapshot.evaluate("nope").value).toBeUndefined();
    expect(snapshot.evaluate("f", { id: true }).value).toBeUndefined();
  });
});

describe("evaluate never throws", () => {
  const segments: SegmentInput[] = [{ key: "beta", ids: ["u1"], conditions: [{ attribute: "email", op: "endsWith", values: ["@x.org"] }] }];
  const rule = (id: string, condition: NonNullable<FlagInput["rules"]>[number]["conditions"][number]) => ({
    id,
    conditions: [condition],
    serve: rollout(50),
  });
  const snapshot = snapshotOf(
    [
      flag({
        key: "every-op",
        schedule: { start: "2020-01-01" },
        prerequisites: [{ flag: "plain", variant: "on" }],
        rules: [
          rule("in", { attribute: "country", op: "in", values: ["NL", 1, true] }),
          rule("sw", { attribute: "email", op: "startsWith", values: ["a"], negate: true }),
          rule("ew", { attribute: "email", op: "endsWith", values: ["z"] }),
          rule("co", { attribute: "name", op: "contains", values: ["q"] }),
          rule("re", { attribute: "path", op: "matches", values: ["^/x/\\d+$"] }),
          rule("lt", { attribute: "age", op: "lt", values: [1] }),
          rule("lte", { attribute: "age", op: "lte", values: [1] }),
          rule("gt", { attribute: "age", op: "gt", values: [1000] }),
          rule("gte", { attribute: "age", op: "gte", values: [1000] }),
          rule("before", { attribute: "date", op: "before", values: ["2000-01-01"] }),
          rule("after", { attribute: "date", op: "after", values: [4_102_444_800_000] }),
          rule("seq", { attribute: "version", op: "semverEq", values: ["1.0.0"] }),
          rule("slt", { attribute: "version", op: "semverLt", values: ["0.0.1"] }),
          rule("sgt", { attribute: "version", op: "semverGt", values: ["99.0.0"] }),
          rule("seg", { op: "inSegment", values: ["beta"] }),
        ],
        fallthrough: rollout(25),
      }),
      flag({ key: "plain", fallthrough: { variant: "on" } }),
      flag({ key: "by-account", bucketBy: "accountId", fallthrough: rollout(50) }),
      flag({ key: "json", variants: { on: { a: [1] }, off: [] }, fallthrough: { variant: "on" } }),
    ],
    { segments, overrides: [{ flag: "every-op", subject: "vip", variant: "on" }] },
  );
  const ATTRIBUTES = ["id", "targetingKey", "accountId", "country", "email", "name", "path", "age", "date", "version", "constructor"];
  const anything = fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
  });
  const contextArb = fc.oneof(anything, fc.dictionary(fc.constantFrom(...ATTRIBUTES), anything));
  const keyArb = fc.oneof(fc.constantFrom(...snapshot.keys(), "nope", "__proto__", "constructor"), fc.string());
  const defaultArb = fc.option(fc.oneof(fc.boolean(), fc.string(), fc.double(), fc.object()), { nil: undefined });

  it("for any context, flag key and default, and always with a valid reason", () => {
    fc.assert(
      fc.property(keyArb, contextArb, defaultArb, (key, context, defaultValue) => {
        const result = snapshot.evaluate(key, context, defaultValue as VariantValue | undefined);
        expect(REASONS).toContain(result.reason);
        expect(result.openFeatureReason).toBe(toOpenFeatureReason(result.reason, result.openFeatureReason === "STATIC"));
        if (result.reason === "ERROR") {
          expect(result.errorCode).toBeDefined();
          expect(result.value).toBe(defaultValue);
          expect(result.variant).toBeUndefined();
        } else {
          expect(result.errorCode).toBeUndefined();
          expect(result.variant).toBeDefined();
        }
        for (const each of snapshot.evaluateAll(context)) expect(REASONS).toContain(each.reason);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("OpenFeature reasons", () => {
  const MAPPING: [Reason, OpenFeatureReason][] = [
    ["DISABLED", "DISABLED"],
    ["SCHEDULED_OFF", "DISABLED"],
    ["PREREQUISITE_FAILED", "DEFAULT"],
    ["OVERRIDE", "TARGETING_MATCH"],
    ["RULE_MATCH", "TARGETING_MATCH"],
    ["ROLLOUT_INCLUDED", "SPLIT"],
    ["ROLLOUT_EXCLUDED", "SPLIT"],
    ["FALLTHROUGH", "DEFAULT"],
    ["MISSING_SUBJECT", "DEFAULT"],
    ["ERROR", "ERROR"],
  ];

  it("map every reason", () => {
    expect(MAPPING.map(([reason]) => reason)).toEqual([...REASONS]);
    for (const [reason, openFeature] of MAPPING) expect(toOpenFeatureReason(reason), reason).toBe(openFeature);
  });

  it("FALLTHROUGH of a flag without targeting is STATIC; no other reason changes", () => {
    expect(toOpenFeatureReason("FALLTHROUGH", true)).toBe("STATIC");
    for (const [reason, openFeature] of MAPPING) {
      if (reason !== "FALLTHROUGH") expect(toOpenFeatureReason(reason, true), reason).toBe(openFeature);
    }
  });

  it("a flag with no rules, schedule, prerequisites or overrides serves STATIC; any targeting makes it DEFAULT", () => {
    const plain = flag({ fallthrough: { variant: "on" } });
    const reasonOf = (f: FlagInput, overrides: OverrideInput[] = []) =>
      snapshotOf([f, flag({ key: "other" })], { overrides }).evaluate("f", { id: "u1" }).openFeatureReason;
    expect(reasonOf(plain)).toBe("STATIC");
    expect(
      reasonOf({ ...plain, rules: [{ id: "r", conditions: [{ attribute: "x", op: "in", values: ["y"] }], serve: { variant: "off" } }] }),
    ).toBe("DEFAULT");
    expect(reasonOf({ ...plain, schedule: { start: "2020-01-01" } })).toBe("DEFAULT");
    expect(reasonOf({ ...plain, prerequisites: [{ flag: "other", variant: "off" }] })).toBe("DEFAULT");
    expect(reasonOf(plain, [{ flag: "f", subject: "someone-else", variant: "off" }])).toBe("DEFAULT");
    // Overrides of another flag do not count.
    expect(reasonOf(plain, [{ flag: "other", subject: "u1", variant: "on" }])).toBe("STATIC");
    // A static flag with a split is still SPLIT.
    expect(reasonOf({ ...plain, fallthrough: rollout(50) })).toBe("SPLIT");
  });
});

describe("MISSING_SUBJECT", () => {
  const snapshot = snapshotOf([
    flag({ fallthrough: rollout(100) }),
    flag({ key: "in-rule", rules: [{ id: "nl", conditions: [{ attribute: "country", op: "in", values: ["NL"] }], serve: rollout(100) }] }),
    flag({
      key: "fixed",
      rules: [{ id: "nl", conditions: [{ attribute: "country", op: "in", values: ["NL"] }], serve: { variant: "on" } }],
      fallthrough: { variant: "on" },
    }),
  ]);

  it("a split fallthrough without a subject serves the off variant, never included", () => {
    for (const context of [{}, { id: "" }, { id: null }, { country: "NL" }]) {
      expect(snapshot.evaluate("f", context, true)).toEqual({
        flagKey: "f",
        variant: "off",
        value: false,
        reason: "MISSING_SUBJECT",
        openFeatureReason: "DEFAULT",
        included: false,
        ruleId: undefined,
        position: undefined,
        flagVersion: 1,
        errorCode: undefined,
        errorMessage: undefined,
      });
    }
  });

  it("a split rule without a subject: MISSING_SUBJECT with the rule's id", () => {
    expect(snapshot.evaluate("in-rule", { country: "NL" })).toMatchObject({
      variant: "off",
      reason: "MISSING_SUBJECT",
      openFeatureReason: "DEFAULT",
      included: false,
      ruleId: "nl",
      position: undefined,
    });
    const withSubject = snapshot.evaluate("in-rule", { id: "u1", country: "NL" });
    expect(withSubject).toMatchObject({ variant: "on", reason: "RULE_MATCH", openFeatureReason: "TARGETING_MATCH", ruleId: "nl" });
    expect(withSubject.position).toBe(referencePosition("u1", "in-rule"));
  });

  it("fixed variants need no subject", () => {
    expect(snapshot.evaluate("fixed", { country: "NL" }).reason).toBe("RULE_MATCH");
    expect(snapshot.evaluate("fixed", {}).reason).toBe("FALLTHROUGH");
  });
});

describe("the subject", () => {
  const snapshot = snapshotOf(
    [flag({ fallthrough: rollout(50) }), flag({ key: "acct", bucketBy: "accountId", fallthrough: rollout(50) })],
    {
      overrides: [
        { flag: "acct", subject: "acme", variant: "on" },
        { flag: "f", subject: "vip", variant: "on" },
      ],
    },
  );

  it("bucketBy names the attribute that is the subject", () => {
    const result = snapshot.evaluate("acct", { id: "u1", accountId: "globex" });
    expect(result.position).toBe(referencePosition("globex", "acct"));
    // Everyone in one account gets the same answer.
    for (const id of ["u2", "u3", "u4"]) expect(snapshot.evaluate("acct", { id, accountId: "globex" })).toEqual(result);
    expect(snapshot.evaluate("acct", { id: "u1" }).reason).toBe("MISSING_SUBJECT");
    // targetingKey stands in for id only.
    expect(snapshot.evaluate("acct", { targetingKey: "globex" }).reason).toBe("MISSING_SUBJECT");
    // Overrides are per subject, which is the account here.
    expect(snapshot.evaluate("acct", { id: "vip", accountId: "acme" }).reason).toBe("OVERRIDE");
    expect(snapshot.evaluate("acct", { id: "vip", accountId: "globex" }).reason).not.toBe("OVERRIDE");
  });

  it("a numeric subject buckets as its text", () => {
    expect(snapshot.evaluate("acct", { accountId: 42 }).position).toBe(referencePosition("42", "acct"));
    expect(snapshot.evaluate("f", { id: 42 })).toEqual(snapshot.evaluate("f", { id: "42" }));
  });

  it("targetingKey stands in for id when id is absent", () => {
    expect(snapshot.evaluate("f", { targetingKey: "u1" })).toEqual(snapshot.evaluate("f", { id: "u1" }));
    expect(snapshot.evaluate("f", { targetingKey: "u1" }).position).toBe(referencePosition("u1", "f"));
    expect(snapshot.evaluate("f", { id: "u1", targetingKey: "u2" }).position).toBe(referencePosition("u1", "f"));
    expect(snapshot.evaluate("f", { targetingKey: "vip" }).reason).toBe("OVERRIDE");
  });

  it("an inherited property is no subject: bucketBy constructor without one is MISSING_SUBJECT", () => {
    const byConstructor = snapshotOf([flag({ bucketBy: "constructor", fallthrough: rollout(50) })]);
    expect(byConstructor.evaluate("f", {}, false).reason).toBe("MISSING_SUBJECT");
    expect(byConstructor.evaluate("f", { constructor: "u1" }).position).toBe(referencePosition("u1", "f"));
    expect(byConstructor.evaluate("f", { constructor: { x: 1 } }, false).errorCode).toBe("INVALID_CONTEXT");
  });
});

describe("results are immutable", () => {
  const now = Date.parse("2026-06-01T00:00:00Z");
  const snapshot = snapshotOf(
    [
      flag({ key: "disabled", enabled: false }),
      flag({ key: "scheduled", schedule: { start: "2030-01-01" } }),
      flag({ key: "gated", prerequisites: [{ flag: "disabled", variant: "on" }] }),
      flag({ key: "overridden" }),
      flag({ key: "rule", rules: [{ id: "all", conditions: [], serve: { variant: "on" } }] }),
      flag({ key: "fixed", fallthrough: { variant: "on" } }),
      flag({ key: "split", fallthrough: rollout(50) }),
      flag({
        key: "json",
        variants: { on: { color: "blue", sizes: [1, 2], nested: { deep: true } }, off: {} },
        fallthrough: { variant: "on" },
      }),
      flag({ key: "json-split", variants: { on: ["a", "b"], off: [] }, fallthrough: rollout(100) }),
    ],
    { overrides: [{ flag: "overridden", subject: "u1", variant: "on" }] },
    { now: () => now },
  );

  it.each([
    ["disabled", { id: "u1" }, "DISABLED"],
    ["scheduled", { id: "u1" }, "SCHEDULED_OFF"],
    ["gated", { id: "u1" }, "PREREQUISITE_FAILED"],
    ["overridden", { id: "u1" }, "OVERRIDE"],
    ["rule", { id: "u1" }, "RULE_MATCH"],
    ["fixed", { id: "u1" }, "FALLTHROUGH"],
    ["split", {}, "MISSING_SUBJECT"],
  ] as [string, Record<string, unknown>, Reason][])("the %s result (%s) is built once and frozen", (key, context, reason) => {
    const result = snapshot.evaluate(key, context);
    expect(result.reason).toBe(reason);
    expect(Object.isFrozen(result)).toBe(true);
    expect(snapshot.evaluate(key, { ...context })).toBe(result);
    expect(() => {
      (result as { variant: string | undefined }).variant = "hacked";
    }).toThrow(TypeError);
    expect(snapshot.evaluate(key, context).variant).toBe(result.variant);
  });

  it("JSON variant values are deeply frozen, also when a split serves them", () => {
    const value = snapshot.evaluate("json", {}).value as { color: string; sizes: number[]; nested: { deep: boolean } };
    expect(value).toEqual({ color: "blue", sizes: [1, 2], nested: { deep: true } });
    expect(() => {
      value.color = "red";
    }).toThrow(TypeError);
    expect(() => value.sizes.push(3)).toThrow(TypeError);
    expect(() => {
      value.nested.deep = false;
    }).toThrow(TypeError);
    expect(snapshot.evaluate("json", {}).value).toEqual({ color: "blue", sizes: [1, 2], nested: { deep: true } });
    const list = snapshot.evaluate("json-split", { id: "u1" }).value as string[];
    expect(list).toEqual(["a", "b"]);
    expect(() => list.push("c")).toThrow(TypeError);
  });

  it("compiling does not freeze the caller's objects", () => {
    const on = { color: "blue" };
    snapshotOf([flag({ variants: { on, off: {} }, fallthrough: { variant: "on" } })]);
    expect(Object.isFrozen(on)).toBe(false);
  });
});
