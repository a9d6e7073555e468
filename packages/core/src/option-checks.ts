import type { Problem } from "./errors.js";

/** Small helpers that validate option objects into a list of problems (each with its path). */

/** True for a plain JSON-like object: not null and not an array (`isRecord({})`, not `isRecord([])`). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A positive finite number option, or `fallback` when it is absent or not one.
 *
 * @example
 * const intervalMs = positive(options.intervalMs, 60_000);
 */
export function positive(value: number | undefined, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Adds a problem for every key of `record` that is not in `known`: a typo is an error, not silently ignored. */
export function checkKnownKeys(record: Record<string, unknown>, known: readonly string[], prefix: string, problems: Problem[]): void {
  for (const key of Object.keys(record)) {
    if (!known.includes(key))
      problems.push({ path: prefix === "" ? key : `${prefix}.${key}`, message: `unknown option; expected one of ${known.join(", ")}` });
  }
}

/** The strings of an optional array option; problems for a non-array or non-string items. */
export function stringList(value: unknown, path: string, problems: Problem[]): { value: string; path: string }[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push({ path, message: "must be an array of strings" });
    return [];
  }
  const out: { value: string; path: string }[] = [];
  value.forEach((item: unknown, i) => {
    if (typeof item === "string") out.push({ value: item, path: `${path}[${i}]` });
    else problems.push({ path: `${path}[${i}]`, message: "must be a string" });
  });
  return out;
}

export function optionalBoolean(value: unknown, path: string, problems: Problem[]): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  problems.push({ path, message: "must be true or false" });
  return undefined;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Lower-cased, de-duplicated header names; problems for names that are not HTTP tokens. */
export function headerNames(value: unknown, path: string, problems: Problem[]): string[] {
  const names = new Set<string>();
  for (const item of stringList(value, path, problems)) {
    if (HEADER_NAME.test(item.value)) names.add(item.value.toLowerCase());
    else problems.push({ path: item.path, message: `${JSON.stringify(item.value)} is not a valid header name` });
  }
  return [...names];
}
