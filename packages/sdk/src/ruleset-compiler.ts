import {
  type Flag,
  formatProblem,
  isRecord,
  type Override,
  type Problem,
  type Ruleset,
  type Segment,
  Snapshot,
  type Validation,
  validateFlag,
  validateOverride,
  validateRuleset,
  validateSegment,
} from "@darklaunch/core";

/** A ruleset compiled for serving, with what had to be left out of it. */
export interface CompiledRuleset {
  snapshot: Snapshot;
  /** Flags left out, by key (or `flags[i]` when the key itself is unreadable): why each could not be compiled. */
  skippedFlags: Map<string, string>;
  /** Segments and overrides left out, each as `segments[2]: why`. */
  skippedOther: string[];
  /**
   * Every item left out, as it was given: compiled again with the next update, so that a flag left
   * out because of another one comes back when that one is fixed.
   */
  leftOut: RawRuleset;
}

/** A ruleset's lists, items not yet checked. */
export interface RawRuleset {
  flags: unknown[];
  segments: unknown[];
  overrides: unknown[];
}

const NOTHING_LEFT_OUT: RawRuleset = Object.freeze({ flags: [], segments: [], overrides: [] }) as RawRuleset;

/**
 * Compiles a ruleset as the server sent it, leaving out the flags (and segments, overrides) that
 * cannot be compiled — invalid, nested too deeply for the validator, or throwing while compiled —
 * instead of refusing the whole ruleset: one bad flag must not turn every other flag off. A flag
 * that depends on a left-out flag or segment is left out too. Throws only when `input` is not a
 * ruleset at all.
 */
export function compileRuleset(input: unknown, now: () => number): CompiledRuleset {
  // The ruleset is almost always valid as a whole: check and compile it in one go.
  const whole = attempt(() => validateRuleset(input));
  if (whole?.ok) {
    const snapshot = attempt(() => new Snapshot(whole.value, { now }));
    if (snapshot) return { snapshot, skippedFlags: new Map(), skippedOther: [], leftOut: NOTHING_LEFT_OUT };
  }
  return compileItemByItem(input, now);
}

function compileItemByItem(input: unknown, now: () => number): CompiledRuleset {
  if (!isRecord(input)) throw new Error("a ruleset is an object { flags, segments, overrides }");
  for (const key of Object.keys(input)) {
    if (key !== "flags" && key !== "segments" && key !== "overrides") {
      throw new Error(`unknown field "${key}"; a ruleset has flags, segments and overrides`);
    }
  }
  const skippedFlags = new Map<string, string>();
  const skippedOther: string[] = [];
  const leftOut: RawRuleset = { flags: [], segments: [], overrides: [] };
  const skipFlag = (flag: unknown, index: number, why: string) => {
    skippedFlags.set(isRecord(flag) && typeof flag.key === "string" ? flag.key : `flags[${index}]`, why);
    leftOut.flags.push(flag);
  };
  let flags = validItems<Flag>(input, "flags", validateFlag, skipFlag);
  let segments = validItems<Segment>(input, "segments", validateSegment, (raw, i, why) => {
    skippedOther.push(`${isRecord(raw) && typeof raw.key === "string" ? `segment "${raw.key}"` : `segments[${i}]`}: ${why}`);
    leftOut.segments.push(raw);
  });
  let overrides = validItems<Override>(input, "overrides", validateOverride, (raw, i, why) => {
    skippedOther.push(`${isRecord(raw) ? `override of "${String(raw.flag)}" for "${String(raw.subject)}"` : `overrides[${i}]`}: ${why}`);
    leftOut.overrides.push(raw);
  });

  // Each round leaves out at least one item, so this ends.
  for (;;) {
    const check = validateRuleset({ flags, segments, overrides });
    if (check.ok) {
      const snapshot = attempt(() => new Snapshot(check.value, { now }));
      if (snapshot) return { snapshot, skippedFlags, skippedOther, leftOut };
      const throwing = throwingItems(check.value, now);
      if (throwing.flags.size + throwing.segments.size === 0) throw new Error("the ruleset cannot be compiled");
      flags = flags.filter((flag) => {
        const why = throwing.flags.get(flag);
        if (why !== undefined) skipFlag(flag, 0, why);
        return why === undefined;
      });
      segments = segments.filter((segment) => {
        const why = throwing.segments.get(segment);
        if (why !== undefined) {
          skippedOther.push(`segment "${segment.key}": ${why}`);
          leftOut.segments.push(segment);
        }
        return why === undefined;
      });
      continue;
    }
    const bad = { flags: new Map<number, Problem[]>(), segments: new Map<number, Problem[]>(), overrides: new Map<number, Problem[]>() };
    for (const problem of check.problems) {
      const match = /^(flags|segments|overrides)\[(\d+)\]/.exec(problem.path);
      if (!match) throw new Error(formatProblem(problem));
      const byIndex = bad[match[1] as keyof typeof bad];
      const index = Number(match[2]);
      // Paths relative to the item: its place in the list changes from one update to the next.
      const path = problem.path.slice(match[0].length).replace(/^\./, "");
      byIndex.set(index, [...(byIndex.get(index) ?? []), { path, message: problem.message }]);
    }
    flags = flags.filter((flag, i) => {
      const problems = bad.flags.get(i);
      if (problems) skipFlag(flag, i, problems.map(formatProblem).join("; "));
      return !problems;
    });
    segments = segments.filter((segment, i) => {
      const problems = bad.segments.get(i);
      if (problems) {
        skippedOther.push(`segment "${segment.key}": ${problems.map(formatProblem).join("; ")}`);
        leftOut.segments.push(segment);
      }
      return !problems;
    });
    overrides = overrides.filter((override, i) => {
      const problems = bad.overrides.get(i);
      if (problems) {
        skippedOther.push(`override of "${override.flag}" for "${override.subject}": ${problems.map(formatProblem).join("; ")}`);
        leftOut.overrides.push(override);
      }
      return !problems;
    });
  }
}

/** The items of one list that validate on their own; the others are reported through `skip`. */
function validItems<T>(
  input: Record<string, unknown>,
  field: "flags" | "segments" | "overrides",
  validate: (raw: unknown) => Validation<T>,
  skip: (raw: unknown, index: number, why: string) => void,
): T[] {
  const raw = input[field];
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new Error(`${field} must be an array`);
  const valid: T[] = [];
  raw.forEach((item: unknown, index) => {
    try {
      const checked = validate(item);
      if (checked.ok) valid.push(checked.value);
      else skip(item, index, checked.problems.map(formatProblem).join("; "));
    } catch (error) {
      // A value nested deeper than the validator's recursion can go throws a RangeError.
      skip(item, index, `cannot be checked: ${(error as Error).message}`);
    }
  });
  return valid;
}

/** The flags and segments that throw when compiled on their own, with the reason. */
function throwingItems(ruleset: Ruleset, now: () => number): { flags: Map<Flag, string>; segments: Map<Segment, string> } {
  const flags = new Map<Flag, string>();
  const segments = new Map<Segment, string>();
  for (const segment of ruleset.segments) {
    const error = failure(() => new Snapshot({ flags: [], segments: [segment], overrides: [] }, { now }));
    if (error !== undefined) segments.set(segment, error);
  }
  const usable = ruleset.segments.filter((s) => !segments.has(s));
  for (const flag of ruleset.flags) {
    const overrides = ruleset.overrides.filter((o) => o.flag === flag.key);
    const error = failure(() => new Snapshot({ flags: [flag], segments: usable, overrides }, { now }));
    if (error !== undefined) flags.set(flag, `cannot be compiled: ${error}`);
  }
  return { flags, segments };
}

function attempt<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch {
    return undefined;
  }
}

function failure(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
