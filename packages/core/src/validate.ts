import type { z } from "zod";
import { type Problem, ValidationError } from "./errors.js";
import { type Flag, FlagSchema, type Override, OverrideSchema, type Ruleset, type Segment, SegmentSchema } from "./flag-schema.js";
import { isRecord } from "./option-checks.js";

/** A validation outcome: the parsed value with defaults filled in, or every problem found. */
export type Validation<T> = { ok: true; value: T; problems: [] } | { ok: false; value?: undefined; problems: Problem[] };

import { pathDeeperThan } from "./json-depth.js";

type PathPart = PropertyKey;

/** Variant values nest at most this many objects or arrays deep. */
export const MAX_VARIANT_DEPTH = 32;

/**
 * No input to validation nests deeper than this: deeper input is refused before any schema walks
 * it (zod recurses), so a hostile body is a problem with a path, never a stack overflow. A flag
 * with the deepest variant value allowed is well inside it.
 */
export const MAX_INPUT_DEPTH = 64;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `["rules", 2, "conditions", 0, "op"]` → `rules[2].conditions[0].op`. */
export function formatPath(path: readonly PathPart[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (typeof part === "string" && IDENTIFIER.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

export function zodProblems(error: z.ZodError, prefix: readonly PathPart[]): Problem[] {
  return error.issues.map((issue) => {
    // A bad record key (a variant name) carries the key schema's own message inside.
    const inner = issue.code === "invalid_key" ? issue.issues[0]?.message : undefined;
    const message = inner === undefined ? issue.message : `variant name ${inner}`;
    return { path: formatPath([...prefix, ...issue.path]), message };
  });
}

function valueType(value: unknown): string | undefined {
  if (Array.isArray(value) || isRecord(value)) return "json";
  // null and other non-values are reported by the schema; they have no type to mix with others.
  return typeof value === "boolean" || typeof value === "string" || typeof value === "number" ? typeof value : undefined;
}

/**
 * Checks that need more than one field: references to variants, variant types, duplicate rule ids,
 * a flag that requires itself. It reads the raw input defensively so that its problems are reported
 * together with the structural ones, not one round later.
 */
function flagReferenceProblems(raw: unknown, prefix: readonly PathPart[]): Problem[] {
  if (!isRecord(raw)) return [];
  const problems: Problem[] = [];
  const add = (path: PathPart[], message: string) => problems.push({ path: formatPath([...prefix, ...path]), message });
  const variants = isRecord(raw.variants) ? raw.variants : undefined;
  if (variants) {
    const names = Object.keys(variants);
    if (names.length === 0) add(["variants"], "a flag needs at least one variant");
    if (names.length > 100) add(["variants"], "a flag has at most 100 variants");
    const types = new Map<string, string>();
    for (const name of names) {
      const type = valueType(variants[name]);
      if (type !== undefined) types.set(type, name);
    }
    if (types.size > 1) {
      const described = [...types].map(([type, name]) => `"${name}" is ${type === "json" ? "JSON" : `a ${type}`}`);
      add(["variants"], `variants mix types (${described.join(", ")}); a flag's variants share one type`);
    }
    for (const name of names) {
      const deep = pathDeeperThan(variants[name], MAX_VARIANT_DEPTH);
      if (deep !== undefined) {
        add(
          ["variants", name, ...deep],
          `variant value nested deeper than ${MAX_VARIANT_DEPTH} objects or arrays; the limit is ${MAX_VARIANT_DEPTH}`,
        );
      }
    }
    const known = names.map((name) => `"${name}"`).join(", ");
    const checkVariant = (name: unknown, path: PathPart[]) => {
      if (typeof name === "string" && !Object.hasOwn(variants, name)) {
        add(path, `unknown variant "${name}"; the flag's variants are ${known || "none"}`);
      }
    };
    const checkServe = (serve: unknown, path: PathPart[]) => {
      if (!isRecord(serve)) return;
      checkVariant(serve.variant, [...path, "variant"]);
      if (Array.isArray(serve.split)) {
        serve.split.forEach((entry, i) => {
          if (isRecord(entry)) checkVariant(entry.variant, [...path, "split", i, "variant"]);
        });
      }
    };
    checkVariant(raw.offVariant, ["offVariant"]);
    checkServe(raw.fallthrough, ["fallthrough"]);
    if (Array.isArray(raw.rules)) {
      raw.rules.forEach((rule, i) => {
        if (isRecord(rule)) checkServe(rule.serve, ["rules", i, "serve"]);
      });
    }
  }
  if (Array.isArray(raw.rules)) {
    const ids = new Map<unknown, number>();
    raw.rules.forEach((rule, i) => {
      if (!isRecord(rule) || typeof rule.id !== "string") return;
      const first = ids.get(rule.id);
      if (first !== undefined) add(["rules", i, "id"], `duplicate rule id "${rule.id}" (also rules[${first}])`);
      else ids.set(rule.id, i);
    });
  }
  if (Array.isArray(raw.prerequisites)) {
    const seen = new Set<unknown>();
    raw.prerequisites.forEach((prerequisite, i) => {
      if (!isRecord(prerequisite)) return;
      if (prerequisite.flag === raw.key) add(["prerequisites", i, "flag"], "a flag cannot be its own prerequisite");
      else if (seen.has(prerequisite.flag)) add(["prerequisites", i, "flag"], `flag "${String(prerequisite.flag)}" is listed twice`);
      seen.add(prerequisite.flag);
    });
  }
  return problems;
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const id = `${p.path}\u0000${p.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function validateWith<T>(
  schema: z.ZodType<T>,
  raw: unknown,
  prefix: readonly PathPart[],
  extra: (raw: unknown, prefix: readonly PathPart[]) => Problem[] = () => [],
): Validation<T> {
  const deep = pathDeeperThan(raw, MAX_INPUT_DEPTH);
  if (deep !== undefined) {
    const message = `nested deeper than ${MAX_INPUT_DEPTH} objects or arrays; nothing here nests that deep`;
    return { ok: false, problems: [{ path: formatPath([...prefix, ...deep]), message }] };
  }
  const parsed = schema.safeParse(raw);
  const problems = dedupe([...(parsed.success ? [] : zodProblems(parsed.error, prefix)), ...extra(raw, prefix)]);
  if (parsed.success && problems.length === 0) return { ok: true, value: parsed.data, problems: [] };
  return { ok: false, problems };
}

/**
 * Validates one flag on its own (docs/architecture.md#the-flag-and-its-serves): shape, values of every operator, weights, variant
 * references and types. References to other flags and segments are checked by `validateRuleset`.
 *
 * @example
 * const checked = validateFlag(JSON.parse(body));
 * if (!checked.ok) for (const p of checked.problems) console.error(`${p.path}: ${p.message}`);
 */
export function validateFlag(input: unknown): Validation<Flag> {
  return validateWith(FlagSchema, input, [], flagReferenceProblems);
}

/** Validates one segment: key, ids, conditions (which may not test other segments). */
export function validateSegment(input: unknown): Validation<Segment> {
  return validateWith(SegmentSchema, input, []);
}

/** Validates one override's shape; whether its flag and variant exist is a ruleset question. */
export function validateOverride(input: unknown): Validation<Override> {
  return validateWith(OverrideSchema, input, []);
}

/**
 * Validates a whole ruleset: every flag, segment and override, then what ties them together —
 * duplicate keys, prerequisites that name unknown flags or variants or form a cycle, unknown
 * segments in `inSegment`, overrides of unknown flags or variants.
 */
export function validateRuleset(input: unknown): Validation<Ruleset> {
  if (!isRecord(input)) {
    return { ok: false, problems: [{ path: "", message: "a ruleset is an object { flags, segments, overrides }" }] };
  }
  const problems: Problem[] = [];
  const flags = validateList(input, "flags", (raw, prefix) => validateWith(FlagSchema, raw, prefix, flagReferenceProblems), problems);
  const segments = validateList(input, "segments", (raw, prefix) => validateWith(SegmentSchema, raw, prefix), problems);
  const overrides = validateList(input, "overrides", (raw, prefix) => validateWith(OverrideSchema, raw, prefix), problems);
  for (const key of Object.keys(input)) {
    if (key !== "flags" && key !== "segments" && key !== "overrides") {
      problems.push({ path: formatPath([key]), message: `unknown field "${key}"; a ruleset has flags, segments and overrides` });
    }
  }
  // References to a flag or segment that is present but invalid are not "unknown": its own problems
  // are already listed, and a second, misleading one would point away from them.
  const invalid = new Set([...rawKeys(input.flags, flags), ...rawKeys(input.segments, segments)]);
  problems.push(...crossReferenceProblems(flags, segments, overrides, invalid));
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: { flags: flags.map((f) => f.value), segments: segments.map((s) => s.value), overrides: overrides.map((o) => o.value) },
    problems: [],
  };
}

/** Like `validateRuleset`, but throws a `ValidationError` listing every problem. */
export function parseRuleset(input: unknown): Ruleset {
  const checked = validateRuleset(input);
  if (!checked.ok) throw new ValidationError("ruleset", checked.problems);
  return checked.value;
}

/** Like `validateFlag`, but throws a `ValidationError` listing every problem. */
export function parseFlag(input: unknown): Flag {
  const checked = validateFlag(input);
  if (!checked.ok)
    throw new ValidationError(`flag${isRecord(input) && typeof input.key === "string" ? ` "${input.key}"` : ""}`, checked.problems);
  return checked.value;
}

function rawKeys(raw: unknown, valid: Indexed<unknown>[]): string[] {
  if (!Array.isArray(raw)) return [];
  const validIndexes = new Set(valid.map((v) => v.index));
  return raw.flatMap((item, i) => (!validIndexes.has(i) && isRecord(item) && typeof item.key === "string" ? [item.key] : []));
}

interface Indexed<T> {
  index: number;
  value: T;
}

function validateList<T>(
  input: Record<string, unknown>,
  field: string,
  validate: (raw: unknown, prefix: readonly PathPart[]) => Validation<T>,
  problems: Problem[],
): Indexed<T>[] {
  const raw = input[field];
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push({ path: field, message: `${field} must be an array` });
    return [];
  }
  const valid: Indexed<T>[] = [];
  raw.forEach((item, index) => {
    const checked = validate(item, [field, index]);
    if (checked.ok) valid.push({ index, value: checked.value });
    else problems.push(...checked.problems);
  });
  return valid;
}

function crossReferenceProblems(
  flags: Indexed<Flag>[],
  segments: Indexed<Segment>[],
  overrides: Indexed<Override>[],
  invalidKeys: ReadonlySet<string>,
): Problem[] {
  const problems: Problem[] = [];
  const add = (path: PathPart[], message: string) => problems.push({ path: formatPath(path), message });

  const flagByKey = new Map<string, Indexed<Flag>>();
  for (const flag of flags) {
    const first = flagByKey.get(flag.value.key);
    if (first) add(["flags", flag.index, "key"], `duplicate flag key "${flag.value.key}" (also flags[${first.index}])`);
    else flagByKey.set(flag.value.key, flag);
  }
  const segmentIndex = new Map<string, number>();
  for (const segment of segments) {
    const first = segmentIndex.get(segment.value.key);
    if (first !== undefined)
      add(["segments", segment.index, "key"], `duplicate segment key "${segment.value.key}" (also segments[${first}])`);
    else segmentIndex.set(segment.value.key, segment.index);
  }

  for (const { index, value: flag } of flags) {
    flag.prerequisites.forEach((prerequisite, i) => {
      const target = flagByKey.get(prerequisite.flag);
      if (!target) {
        if (!invalidKeys.has(prerequisite.flag)) add(["flags", index, "prerequisites", i, "flag"], `unknown flag "${prerequisite.flag}"`);
      } else if (!Object.hasOwn(target.value.variants, prerequisite.variant)) {
        add(["flags", index, "prerequisites", i, "variant"], `flag "${prerequisite.flag}" has no variant "${prerequisite.variant}"`);
      }
    });
    flag.rules.forEach((rule, r) => {
      rule.conditions.forEach((condition, c) => {
        if (condition.op !== "inSegment") return;
        condition.values.forEach((key, v) => {
          if (!segmentIndex.has(String(key)) && !invalidKeys.has(String(key))) {
            add(["flags", index, "rules", r, "conditions", c, "values", v], `unknown segment "${String(key)}"`);
          }
        });
      });
    });
  }
  problems.push(...prerequisiteCycles(flags, flagByKey));

  const overridden = new Map<string, number>();
  for (const { index, value: override } of overrides) {
    const target = flagByKey.get(override.flag)?.value;
    if (!target) {
      if (!invalidKeys.has(override.flag)) add(["overrides", index, "flag"], `unknown flag "${override.flag}"`);
      continue;
    }
    if (override.variant !== undefined && !Object.hasOwn(target.variants, override.variant)) {
      add(["overrides", index, "variant"], `flag "${override.flag}" has no variant "${override.variant}"`);
    } else if (override.variant === undefined && override.source === "opt-in" && onVariants(target).length !== 1) {
      add(
        ["overrides", index, "variant"],
        `flag "${override.flag}" has ${onVariants(target).length} variants besides its off variant; name the one to opt in to`,
      );
    } else if (override.variant === undefined && override.source === "pinned") {
      add(["overrides", index, "variant"], "a pinned override needs a variant");
    }
    const id = `${override.flag}\u0000${override.subject}`;
    const first = overridden.get(id);
    if (first !== undefined)
      add(
        ["overrides", index, "subject"],
        `subject "${override.subject}" already has an override for "${override.flag}" (overrides[${first}])`,
      );
    else overridden.set(id, index);
  }
  return problems;
}

/** The variants of a flag other than its off variant, in declaration order. */
export function onVariants(flag: Pick<Flag, "variants" | "offVariant">): string[] {
  return Object.keys(flag.variants).filter((name) => name !== flag.offVariant);
}

function prerequisiteCycles(flags: Indexed<Flag>[], flagByKey: Map<string, Indexed<Flag>>): Problem[] {
  const problems: Problem[] = [];
  const state = new Map<string, "visiting" | "done">();
  const reported = new Set<string>();
  const visit = (key: string, trail: string[]): void => {
    const mark = state.get(key);
    if (mark === "done") return;
    if (mark === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(key)), key];
      const id = [...cycle.slice(0, -1)].sort().join(",");
      const start = flagByKey.get(key);
      if (!reported.has(id) && start) {
        reported.add(id);
        problems.push({ path: formatPath(["flags", start.index, "prerequisites"]), message: `prerequisite cycle: ${cycle.join(" → ")}` });
      }
      return;
    }
    state.set(key, "visiting");
    const flag = flagByKey.get(key)?.value;
    for (const prerequisite of flag?.prerequisites ?? []) {
      if (flagByKey.has(prerequisite.flag)) visit(prerequisite.flag, [...trail, key]);
    }
    state.set(key, "done");
  };
  for (const flag of flags) visit(flag.value.key, []);
  return problems;
}
