import { createHash } from "node:crypto";
import { caseTime, type EvaluationCase, type JsonValue, loadEvaluationFixtures } from "@darklaunch/testkit";
import { describe, expect, it } from "vitest";
import { compile, OPERATORS, REASONS, type Snapshot, ValidationError, validateRuleset } from "./index.js";

const fixtures = loadEvaluationFixtures();
const rulesetNames = Object.keys(fixtures.rulesets);

/** GENERAL is left out: no input is meant to produce it. */
const ERROR_CODES = ["FLAG_NOT_FOUND", "TYPE_MISMATCH", "INVALID_CONTEXT"] as const;

// Each ruleset is compiled once and lives across cases, as an SDK snapshot does, so the clock is
// read at evaluation time; a case sets it just before its (synchronous) evaluation.
let clock = 0;
const snapshots = new Map<string, Snapshot>();

function snapshotOf(name: string): Snapshot {
  let snapshot = snapshots.get(name);
  if (snapshot === undefined) {
    const ruleset = fixtures.rulesets[name];
    if (ruleset === undefined) throw new Error(`no ruleset "${name}" in the fixture file`);
    snapshot = compile(ruleset, { now: () => clock });
    snapshots.set(name, snapshot);
  }
  return snapshot;
}

/** docs/architecture.md#position-deterministic-bucketing with node:crypto, to keep hand-edited positions in the file honest. */
function referencePosition(subject: string, salt: string): number {
  const digest = createHash("md5")
    .update(salt === "" ? subject : `${salt}:${subject}`, "utf8")
    .digest();
  return (digest.readUInt32BE(0) % 10_000) / 100;
}

interface RawCondition {
  attribute?: string;
  op: string;
  negate?: boolean;
}

interface RawFlag {
  key: string;
  salt?: string;
  bucketBy?: string;
  rules?: { id: string; conditions: RawCondition[] }[];
}

function flagOf(c: EvaluationCase): RawFlag | undefined {
  const flags = (fixtures.rulesets[c.ruleset]?.flags ?? []) as RawFlag[];
  return flags.find((flag) => flag.key === c.flag);
}

function attributeIn(context: JsonValue, attribute: string): JsonValue | undefined {
  if (typeof context !== "object" || context === null || Array.isArray(context)) return undefined;
  const value = context[attribute];
  return value === undefined && attribute === "id" ? context.targetingKey : value;
}

/**
 * What the file shows about conditions, read from the cases alone: a RULE_MATCH means every
 * condition of that rule held; a later rule or the fallthrough deciding means every earlier
 * single-condition rule did not hold. Multi-condition rules that fail say nothing about which failed.
 */
function conditionOutcomes(): Set<string> {
  const seen = new Set<string>();
  const consulted = new Set(["RULE_MATCH", "FALLTHROUGH", "ROLLOUT_INCLUDED", "ROLLOUT_EXCLUDED", "MISSING_SUBJECT"]);
  for (const c of fixtures.cases) {
    const flag = flagOf(c);
    if (flag === undefined || !consulted.has(c.expect.reason)) continue;
    const rules = flag.rules ?? [];
    const decided = c.expect.ruleId === undefined ? rules.length : rules.findIndex((rule) => rule.id === c.expect.ruleId);
    const record = (condition: RawCondition, holds: boolean) => {
      const outcome = holds ? "holds" : "fails";
      seen.add(`${condition.op}: ${outcome}`);
      if (condition.negate) seen.add(`negate: ${outcome}`);
      if (condition.attribute === undefined) return;
      const value = attributeIn(c.context, condition.attribute);
      if (value === undefined || value === null) seen.add(`missing attribute${condition.negate ? ", negated" : ""}: ${outcome}`);
      if (Array.isArray(value)) seen.add(`array attribute: ${outcome}`);
    };
    rules.slice(0, Math.max(decided, 0)).forEach((rule) => {
      if (rule.conditions.length === 1) record(rule.conditions[0]!, false);
    });
    if (decided >= 0 && decided < rules.length) for (const condition of rules[decided]!.conditions) record(condition, true);
  }
  return seen;
}

describe("evaluation fixtures: the file", () => {
  it("holds at least 80 cases and 20 invalid rulesets, with unique names", () => {
    expect(fixtures.cases.length).toBeGreaterThanOrEqual(80);
    expect(fixtures.invalid.length).toBeGreaterThanOrEqual(20);
    const names = [...fixtures.cases, ...fixtures.invalid].map((c) => c.name);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it("covers every reason and every error code", () => {
    const reasons = new Set(fixtures.cases.map((c) => c.expect.reason));
    expect(REASONS.filter((reason) => !reasons.has(reason))).toEqual([]);
    const codes = new Set(fixtures.cases.map((c) => c.expect.errorCode));
    expect(ERROR_CODES.filter((code) => !codes.has(code))).toEqual([]);
  });

  it("shows every operator both holding and not holding, plus negation, missing and array attributes", () => {
    const seen = conditionOutcomes();
    const wanted = [
      ...OPERATORS.flatMap((op) => [`${op}: holds`, `${op}: fails`]),
      "negate: holds",
      "negate: fails",
      "missing attribute: fails",
      "missing attribute, negated: fails",
      "array attribute: holds",
      "array attribute: fails",
    ];
    expect(wanted.filter((w) => !seen.has(w))).toEqual([]);
    // An absent attribute never satisfies a condition, negated or not.
    expect([...seen].filter((s) => s.startsWith("missing attribute") && s.endsWith("holds"))).toEqual([]);
  });

  it("names existing rulesets and flags, and states results consistently", () => {
    for (const c of fixtures.cases) {
      const where = `case "${c.name}"`;
      expect(rulesetNames, where).toContain(c.ruleset);
      if (c.now !== undefined) expect(Number.isNaN(Date.parse(c.now)), where).toBe(false);
      const { expect: e } = c;
      if (e.reason === "ERROR") {
        expect(e.errorCode, where).toBeDefined();
        expect(e.variant, where).toBeUndefined();
        expect(e.value, where).toEqual(c.default);
      } else {
        expect(flagOf(c), where).toBeDefined();
        expect(e.errorCode, where).toBeUndefined();
        expect(e.variant, where).toBeDefined();
        expect(e.value, where).toBeDefined();
      }
    }
  });

  it("states every position with two decimals, as docs/architecture.md#position-deterministic-bucketing computes it", () => {
    for (const c of fixtures.cases.filter((c) => c.expect.position !== undefined)) {
      const flag = flagOf(c)!;
      const subject = attributeIn(c.context, flag.bucketBy ?? "id");
      const position = c.expect.position!;
      expect(Math.round(position * 100) / 100, c.name).toBe(position);
      expect(referencePosition(String(subject), flag.salt ?? flag.key), c.name).toBe(position);
    }
  });
});

describe.each(rulesetNames)("evaluation fixtures: ruleset %s", (name) => {
  it("validates", () => {
    const checked = validateRuleset(fixtures.rulesets[name]);
    expect(checked.problems).toEqual([]);
  });

  // "%s" on the name rather than "$name", which vitest quotes and truncates.
  it.each(fixtures.cases.filter((c) => c.ruleset === name).map((c) => [c.name, c] as const))("%s", (_, c) => {
    const snapshot = snapshotOf(name);
    clock = caseTime(fixtures, c);
    const result = snapshot.evaluate(c.flag, c.context, c.default);
    const actual = {
      variant: result.variant,
      value: result.value,
      reason: result.reason,
      errorCode: result.errorCode,
      ruleId: result.ruleId,
      position: result.position,
    };
    const { variant, value, reason, errorCode, ruleId, position } = c.expect;
    expect(actual).toEqual({ variant, value, reason, errorCode, ruleId, position });
  });
});

describe("evaluation fixtures: invalid rulesets", () => {
  it.each(fixtures.invalid.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const checked = validateRuleset(c.ruleset);
    expect(checked.ok).toBe(false);
    for (const problem of c.problems) {
      expect(checked.problems).toContainEqual({ path: problem.path, message: expect.stringContaining(problem.messageIncludes) });
    }
    expect(() => compile(c.ruleset)).toThrow(ValidationError);
  });
});
