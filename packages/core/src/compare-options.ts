import type { CompareOptions } from "./difference.js";
import { type Problem, ValidationError } from "./errors.js";
import type { ArrayKey, Tolerance } from "./json-diff.js";
import { checkKnownKeys, headerNames, isRecord, optionalBoolean, stringList } from "./option-checks.js";
import { type CompiledPattern, parsePattern } from "./path-pattern.js";
import { compileRegex, regexProblem, type SafeRegex } from "./regex-safety.js";
import type { TextNormalization } from "./response-body.js";

export const DEFAULT_MAX_DIFFERENCES = 100;

/** CompareOptions checked and compiled once, ready for many comparisons. */
export interface CompiledCompareOptions {
  headers: readonly string[];
  ignore: readonly CompiledPattern[];
  arrayKeys: readonly ArrayKey[];
  tolerance: Tolerance | undefined;
  normalize: TextNormalization;
  json: boolean;
  maxDifferences: number;
}

const OPTIONS = ["headers", "ignore", "arrayKeys", "tolerance", "normalize", "json", "maxDifferences"];

/** Validates every field, reporting all problems at once in a `ValidationError`. */
export function compileCompareOptions(options: CompareOptions | undefined): CompiledCompareOptions {
  const problems: Problem[] = [];
  const raw: unknown = options ?? {};
  if (!isRecord(raw)) throw new ValidationError("comparison options", [{ path: "", message: "options must be an object" }]);
  checkKnownKeys(raw, OPTIONS, "", problems);
  const compiled: CompiledCompareOptions = {
    headers: headerNames(raw.headers, "headers", problems),
    ignore: patterns(raw.ignore, "ignore", problems),
    arrayKeys: arrayKeys(raw.arrayKeys, problems),
    tolerance: tolerance(raw.tolerance, problems),
    normalize: normalization(raw.normalize, problems),
    json: optionalBoolean(raw.json, "json", problems) ?? false,
    maxDifferences: maxDifferences(raw.maxDifferences, problems),
  };
  if (problems.length > 0) throw new ValidationError("comparison options", problems);
  return compiled;
}

/** Compiled path patterns; a problem at `path[i]` for each bad one. */
export function patterns(value: unknown, path: string, problems: Problem[]): CompiledPattern[] {
  const out: CompiledPattern[] = [];
  for (const item of stringList(value, path, problems)) {
    const parsed = parsePattern(item.value);
    if (typeof parsed === "string") problems.push({ path: item.path, message: parsed });
    else out.push(parsed);
  }
  return out;
}

function arrayKeys(value: unknown, problems: Problem[]): ArrayKey[] {
  if (value === undefined) return [];
  if (!isRecord(value)) {
    problems.push({ path: "arrayKeys", message: 'must be an object such as { "body.items[]": "id" }' });
    return [];
  }
  const out: ArrayKey[] = [];
  for (const [source, field] of Object.entries(value)) {
    const path = `arrayKeys[${JSON.stringify(source)}]`;
    const parsed = parsePattern(source);
    if (typeof parsed === "string") problems.push({ path, message: parsed });
    else if (parsed.at(-1)?.kind !== "element") {
      problems.push({ path, message: `${JSON.stringify(source)} must name array elements, ending in "[]" (e.g. "body.items[]")` });
    }
    if (typeof field !== "string" || field === "")
      problems.push({ path, message: 'the key field must be a non-empty string such as "id"' });
    else if (typeof parsed !== "string") out.push({ pattern: parsed, field });
  }
  return out;
}

function tolerance(value: unknown, problems: Problem[]): Tolerance | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    problems.push({ path: "tolerance", message: "must be an object such as { absolute: 0.01, relative: 0.001 }" });
    return undefined;
  }
  checkKnownKeys(value, ["absolute", "relative"], "tolerance", problems);
  const bound = (name: "absolute" | "relative"): number | undefined => {
    const v = value[name];
    if (v === undefined) return undefined;
    if (typeof v === "number" && Number.isFinite(v) && v >= 0) return v;
    problems.push({ path: `tolerance.${name}`, message: "must be a finite number ≥ 0" });
    return undefined;
  };
  return { absolute: bound("absolute"), relative: bound("relative") };
}

function normalization(value: unknown, problems: Problem[]): TextNormalization {
  const none: TextNormalization = { trim: false, collapseWhitespace: false, ignoreCase: false, remove: [] };
  if (value === undefined) return none;
  if (!isRecord(value)) {
    problems.push({ path: "normalize", message: "must be an object such as { trim: true }" });
    return none;
  }
  checkKnownKeys(value, ["trim", "collapseWhitespace", "ignoreCase", "remove"], "normalize", problems);
  const remove: SafeRegex[] = [];
  for (const item of stringList(value.remove, "normalize.remove", problems)) {
    const problem = regexProblem(item.value);
    if (problem === undefined) remove.push(compileRegex(item.value));
    else problems.push({ path: item.path, message: problem });
  }
  return {
    trim: optionalBoolean(value.trim, "normalize.trim", problems) ?? false,
    collapseWhitespace: optionalBoolean(value.collapseWhitespace, "normalize.collapseWhitespace", problems) ?? false,
    ignoreCase: optionalBoolean(value.ignoreCase, "normalize.ignoreCase", problems) ?? false,
    remove,
  };
}

function maxDifferences(value: unknown, problems: Problem[]): number {
  if (value === undefined) return DEFAULT_MAX_DIFFERENCES;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  problems.push({ path: "maxDifferences", message: "must be a whole number ≥ 0" });
  return DEFAULT_MAX_DIFFERENCES;
}
