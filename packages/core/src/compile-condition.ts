import type { Condition } from "./condition-schema.js";
import { attributeOf, type EvaluationContext } from "./context.js";
import { toEpochMs } from "./dates.js";
import { compileRegex } from "./regex-safety.js";
import { compareSemver, parseSemver, type SemVer } from "./semver.js";

/** A condition compiled to a closure: nothing is parsed or built while it runs. */
export type Test = (context: EvaluationContext, subject: string | undefined) => boolean;

/** A segment compiled for `inSegment`: its ids as a Set and its conditions as one test. */
export interface CompiledSegment {
  readonly key: string;
  readonly ids: ReadonlySet<string>;
  readonly conditions: Test | undefined;
}

type ScalarTest = (value: unknown) => boolean;

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

function stringTest(values: readonly (string | number | boolean)[], test: (attribute: string, value: string) => boolean): ScalarTest {
  const strings = values.map(String);
  return (value) => {
    const s = text(value);
    if (s === undefined) return false;
    for (let i = 0; i < strings.length; i++) if (test(s, strings[i]!)) return true;
    return false;
  };
}

function numberTest(values: readonly (string | number | boolean)[], test: (attribute: number, value: number) => boolean): ScalarTest {
  const numbers = values.map(Number);
  return (value) => {
    if (typeof value !== "number") return false;
    for (let i = 0; i < numbers.length; i++) if (test(value, numbers[i]!)) return true;
    return false;
  };
}

function dateTest(values: readonly (string | number | boolean)[], test: (attribute: number, value: number) => boolean): ScalarTest {
  const times = values.map(toEpochMs);
  return (value) => {
    const t = toEpochMs(value);
    if (Number.isNaN(t)) return false;
    for (let i = 0; i < times.length; i++) if (test(t, times[i]!)) return true;
    return false;
  };
}

function semverTest(values: readonly (string | number | boolean)[], test: (order: number) => boolean): ScalarTest {
  const versions = values.map((v) => parseSemver(String(v))).filter((v): v is SemVer => v !== undefined);
  return (value) => {
    if (typeof value !== "string") return false;
    const version = parseSemver(value);
    if (version === undefined) return false;
    for (let i = 0; i < versions.length; i++) if (test(compareSemver(version, versions[i]!))) return true;
    return false;
  };
}

function inTest(values: readonly (string | number | boolean)[]): ScalarTest {
  // `in` compares text forms, so 30 and "30" match. Short lists scan faster than a Set hashes.
  const strings = values.map(String);
  if (strings.length === 1) {
    const only = strings[0]!;
    return (value) => (typeof value === "string" ? value === only : text(value) === only);
  }
  if (strings.length <= 8) {
    return (value) => {
      const s = typeof value === "string" ? value : text(value);
      if (s === undefined) return false;
      for (let i = 0; i < strings.length; i++) if (strings[i] === s) return true;
      return false;
    };
  }
  const set = new Set(strings);
  return (value) => {
    if (typeof value === "string") return set.has(value);
    const s = text(value);
    return s !== undefined && set.has(s);
  };
}

function scalarTest(condition: Condition): ScalarTest {
  const { values } = condition;
  switch (condition.op) {
    case "in":
      return inTest(values);
    case "startsWith":
      return stringTest(values, (a, v) => a.startsWith(v));
    case "endsWith":
      return stringTest(values, (a, v) => a.endsWith(v));
    case "contains":
      return stringTest(values, (a, v) => a.includes(v));
    case "matches": {
      // RE2 (re2js), not RegExp: matching is linear in the attribute's length whatever the pattern,
      // so no flag can stall the services that evaluate it (a backtracking engine can take years).
      const regexes = values.map((v) => compileRegex(String(v)));
      return (value) => {
        const s = text(value);
        if (s === undefined) return false;
        for (let i = 0; i < regexes.length; i++) if (regexes[i]!.test(s)) return true;
        return false;
      };
    }
    case "lt":
      return numberTest(values, (a, v) => a < v);
    case "lte":
      return numberTest(values, (a, v) => a <= v);
    case "gt":
      return numberTest(values, (a, v) => a > v);
    case "gte":
      return numberTest(values, (a, v) => a >= v);
    case "before":
      return dateTest(values, (a, v) => a < v);
    case "after":
      return dateTest(values, (a, v) => a > v);
    case "semverEq":
      return semverTest(values, (order) => order === 0);
    case "semverLt":
      return semverTest(values, (order) => order < 0);
    case "semverGt":
      return semverTest(values, (order) => order > 0);
    case "inSegment":
      throw new Error("inSegment is compiled by compileCondition");
  }
}

function segmentTest(keys: readonly (string | number | boolean)[], segments: ReadonlyMap<string, CompiledSegment>): Test {
  const targets = keys.map((key) => {
    const segment = segments.get(String(key));
    // Validation rejects unknown segments before compilation; this guards direct misuse.
    if (!segment) throw new Error(`unknown segment "${String(key)}"`);
    return segment;
  });
  return (context, subject) => {
    for (let i = 0; i < targets.length; i++) {
      const segment = targets[i]!;
      if (subject !== undefined && segment.ids.has(subject)) return true;
      if (segment.conditions?.(context, subject)) return true;
    }
    return false;
  };
}

/**
 * Compiles a condition into a closure. An absent attribute never satisfies a condition, negated or
 * not (so `country not in [NL]` does not include contexts that have no country); an array attribute
 * satisfies it when any element does.
 */
export function compileCondition(condition: Condition, segments: ReadonlyMap<string, CompiledSegment>): Test {
  if (condition.op === "inSegment") {
    const test = segmentTest(condition.values, segments);
    return condition.negate ? (context, subject) => !test(context, subject) : test;
  }
  const attribute = condition.attribute ?? "";
  const test = scalarTest(condition);
  const negate = condition.negate === true;
  return (context) => {
    const value = attributeOf(context, attribute);
    if (value === undefined || value === null) return false;
    let holds: boolean;
    if (Array.isArray(value)) {
      holds = false;
      for (let i = 0; i < value.length; i++) {
        if (test(value[i])) {
          holds = true;
          break;
        }
      }
    } else {
      holds = test(value);
    }
    return negate ? !holds : holds;
  };
}

/** Several tests as one that holds when all hold; no tests always holds. */
export function allOf(tests: readonly Test[]): Test {
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0]!;
  if (tests.length === 2) {
    const [a, b] = tests as [Test, Test];
    return (context, subject) => a(context, subject) && b(context, subject);
  }
  return (context, subject) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(context, subject)) return false;
    return true;
  };
}
