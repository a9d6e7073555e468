import type { Difference, DifferenceKind } from "./difference.js";
import type { DifferenceList } from "./difference-list.js";
import { pathDeeperThan } from "./json-depth.js";
import {
  appendSegment,
  type CompiledPattern,
  coversSegments,
  ELEMENT,
  formatSegments,
  isBareKey,
  matchSegments,
  type PathSegment,
} from "./path-pattern.js";

/** Numbers equal within either bound count as equal; `relative` is measured against the larger magnitude. */
export interface Tolerance {
  absolute?: number | undefined;
  relative?: number | undefined;
}

/** Match the elements of arrays whose element path matches `pattern` (ending in `[]`) by their `field`. */
export interface ArrayKey {
  pattern: CompiledPattern;
  field: string;
}

export interface JsonDiffOptions {
  ignore: readonly CompiledPattern[];
  arrayKeys: readonly ArrayKey[];
  tolerance: Tolerance | undefined;
}

/** Below this depth subtrees are compared whole (one difference at most), so deep input cannot overflow the stack. */
export const MAX_DIFF_DEPTH = 200;

/**
 * What a difference holds instead of a value nested deeper than MAX_DIFF_DEPTH: whoever stores or
 * sends the result serialises it, and `JSON.stringify` recurses (it overflows a few thousand deep).
 */
export const TOO_DEEP = "[nested too deep to store]";

const MISSING: unique symbol = Symbol("missing");
type Side = unknown;

/** Two parsed JSON values to compare, found at `root` (e.g. `["body"]`). */
export interface JsonSides {
  root: readonly PathSegment[];
  baseline: unknown;
  dark: unknown;
}

/** Adds to `list` the differences between two parsed JSON values, skipping every path an ignore pattern covers. */
export function diffJson(options: JsonDiffOptions, list: DifferenceList, sides: JsonSides): void {
  const walk = new Walk(options, list, sides.root);
  walk.visit(formatSegments(sides.root), sides.baseline, sides.dark);
}

/** True when one of the patterns matches the path or one of its ancestors. */
export function isIgnored(ignore: readonly CompiledPattern[], segments: readonly PathSegment[]): boolean {
  return ignore.some((pattern) => coversSegments(pattern, segments));
}

/** The JSON type of a value: null, boolean, number, string, array or object (or typeof for non-JSON values). */
export function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

export function numbersEqual(a: number, b: number, tolerance: Tolerance | undefined): boolean {
  if (a === b) return true;
  if (tolerance === undefined) return false;
  const gap = Math.abs(a - b);
  if (tolerance.absolute !== undefined && gap <= tolerance.absolute) return true;
  return tolerance.relative !== undefined && gap <= tolerance.relative * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * One comparison. `segments` is the path being visited, pushed and popped as the walk goes down and
 * up; its length below the root is the depth.
 */
class Walk {
  private readonly segments: PathSegment[];
  private readonly rootDepth: number;

  constructor(
    private readonly options: JsonDiffOptions,
    private readonly list: DifferenceList,
    root: readonly PathSegment[],
  ) {
    this.segments = [...root];
    this.rootDepth = root.length;
  }

  visit(location: string, baseline: Side, dark: Side): void {
    const segments = this.segments;
    if (this.list.full || isIgnored(this.options.ignore, segments)) return;
    if (baseline === MISSING) {
      if (dark !== MISSING) this.add("added", location, MISSING, dark);
      return;
    }
    if (dark === MISSING) {
      this.add("removed", location, baseline, MISSING);
      return;
    }
    const type = jsonType(baseline);
    if (type !== jsonType(dark)) {
      this.add("type", location, baseline, dark);
    } else if (type === "number") {
      if (!numbersEqual(baseline as number, dark as number, this.options.tolerance)) this.add("changed", location, baseline, dark);
    } else if (type === "array" || type === "object") {
      if (segments.length - this.rootDepth >= MAX_DIFF_DEPTH) {
        if (!deepEqual(baseline, dark, this.options.tolerance)) this.add("changed", location, baseline, dark);
      } else if (type === "array") {
        this.array(location, baseline as readonly unknown[], dark as readonly unknown[]);
      } else {
        this.object(location, baseline as Record<string, unknown>, dark as Record<string, unknown>);
      }
    } else if (baseline !== dark) {
      this.add("changed", location, baseline, dark);
    }
  }

  private object(location: string, baseline: Record<string, unknown>, dark: Record<string, unknown>): void {
    const segments = this.segments;
    const keys = Object.keys(baseline);
    for (const key of Object.keys(dark)) if (!Object.hasOwn(baseline, key)) keys.push(key);
    for (const key of keys) {
      if (this.list.full) return;
      segments.push(key);
      this.visit(appendSegment(location, key), own(baseline, key), own(dark, key));
      segments.pop();
    }
  }

  private array(location: string, baseline: readonly unknown[], dark: readonly unknown[]): void {
    const segments = this.segments;
    segments.push(ELEMENT);
    const field = this.keyField(segments);
    if (field === undefined) {
      for (let i = 0; i < Math.max(baseline.length, dark.length) && !this.list.full; i++) {
        this.visit(`${location}[${i}]`, at(baseline, i), at(dark, i));
      }
    } else {
      this.keyedArray(location, baseline, dark, field);
    }
    segments.pop();
  }

  /**
   * Pairs elements by the value of `field` (42 and "42" differ); order does not matter. Elements
   * without a usable key (not an object, no such field, a non-scalar value, or a key seen before in
   * the same array) are paired with each other in order of appearance.
   */
  private keyedArray(location: string, baseline: readonly unknown[], dark: readonly unknown[], field: string): void {
    const baselineIds = identities(baseline, field);
    const darkIds = identities(dark, field);
    const darkIndex = new Map<string, number>();
    const darkLoose: number[] = [];
    darkIds.forEach((id, j) => {
      if (id === undefined) darkLoose.push(j);
      else darkIndex.set(id, j);
    });
    const baselineKeyed = new Set<string>();
    const baselineLoose: number[] = [];
    const name = isBareKey(field) ? field : JSON.stringify(field);
    baselineIds.forEach((id, i) => {
      if (id === undefined) {
        baselineLoose.push(i);
        return;
      }
      baselineKeyed.add(id);
      const j = darkIndex.get(id);
      this.visit(`${location}[${name}=${id}]`, baseline[i], j === undefined ? MISSING : dark[j]);
    });
    darkIds.forEach((id, j) => {
      if (id !== undefined && !baselineKeyed.has(id)) this.visit(`${location}[${name}=${id}]`, MISSING, dark[j]);
    });
    for (let k = 0; k < Math.max(baselineLoose.length, darkLoose.length); k++) {
      const i = baselineLoose[k];
      const j = darkLoose[k];
      this.visit(`${location}[${i ?? j}]`, i === undefined ? MISSING : baseline[i], j === undefined ? MISSING : dark[j]);
    }
  }

  private keyField(elementSegments: readonly PathSegment[]): string | undefined {
    return this.options.arrayKeys.find((key) => matchSegments(key.pattern, elementSegments))?.field;
  }

  private add(kind: DifferenceKind, location: string, baseline: Side, dark: Side): void {
    const difference: Difference = { path: formatSegments(this.segments), location, kind };
    if (baseline !== MISSING) difference.baseline = storable(baseline);
    if (dark !== MISSING) difference.dark = storable(dark);
    this.list.add(difference);
  }
}

function storable(value: unknown): unknown {
  return pathDeeperThan(value, MAX_DIFF_DEPTH) === undefined ? value : TOO_DEEP;
}

function own(record: Record<string, unknown>, key: string): Side {
  return Object.hasOwn(record, key) ? record[key] : MISSING;
}

function at(array: readonly unknown[], i: number): Side {
  return i < array.length ? array[i] : MISSING;
}

/** Each element's key as JSON text, or undefined when it has none or repeats an earlier one. */
function identities(array: readonly unknown[], field: string): (string | undefined)[] {
  const seen = new Set<string>();
  return array.map((element) => {
    if (typeof element !== "object" || element === null || Array.isArray(element) || !Object.hasOwn(element, field)) return undefined;
    const value = (element as Record<string, unknown>)[field];
    if (value !== null && typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") return undefined;
    const id = JSON.stringify(value);
    if (seen.has(id)) return undefined;
    seen.add(id);
    return id;
  });
}

/** Structural equality without recursion (for subtrees below MAX_DIFF_DEPTH). */
function deepEqual(a: unknown, b: unknown, tolerance: Tolerance | undefined): boolean {
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop() as [unknown, unknown];
    const type = jsonType(x);
    if (type !== jsonType(y)) return false;
    if (type === "number") {
      if (!numbersEqual(x as number, y as number, tolerance)) return false;
    } else if (type === "array") {
      const xs = x as unknown[];
      const ys = y as unknown[];
      if (xs.length !== ys.length) return false;
      for (let i = 0; i < xs.length; i++) stack.push([xs[i], ys[i]]);
    } else if (type === "object") {
      const xo = x as Record<string, unknown>;
      const yo = y as Record<string, unknown>;
      const keys = Object.keys(xo);
      if (keys.length !== Object.keys(yo).length) return false;
      for (const key of keys) {
        if (!Object.hasOwn(yo, key)) return false;
        stack.push([xo[key], yo[key]]);
      }
    } else if (x !== y) {
      return false;
    }
  }
  return true;
}
