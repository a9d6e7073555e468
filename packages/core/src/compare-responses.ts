import { type CompiledCompareOptions, compileCompareOptions } from "./compare-options.js";
import type { ComparedResponse, CompareOptions, ComparisonResult, Difference } from "./difference.js";
import { DifferenceList } from "./difference-list.js";
import { diffJson, isIgnored } from "./json-diff.js";
import { formatSegments, type PathSegment } from "./path-pattern.js";
import { bodyText, headerValue, isJsonContentType, normalizeText, truncateText } from "./response-body.js";

/** Compares a baseline response with a dark one. Never throws. */
export type Comparator = (baseline: ComparedResponse, dark: ComparedResponse) => ComparisonResult;

/**
 * Validates the options once (throwing a `ValidationError` whose problems have paths such as
 * `tolerance.relative`, `arrayKeys["body.items[]"]`, `normalize.remove[0]`) and returns a
 * comparator that never throws, whatever the responses hold.
 *
 * @example
 * const compare = compileComparator({ headers: ["content-type"], ignore: ["body.**.updatedAt"],
 *   arrayKeys: { "body.items[]": "id" }, tolerance: { relative: 0.001 } });
 * compare(stable, dark);
 * // { match: false, truncated: false, differences: [{ path: "body.items[].price",
 * //   location: "body.items[id=42].price", kind: "changed", baseline: 10, dark: 12 }] }
 */
export function compileComparator(options: CompareOptions = {}): Comparator {
  const compiled = compileCompareOptions(options);
  return (baseline, dark) => compare(compiled, baseline, dark);
}

let defaultComparator: Comparator | undefined;

/**
 * One-off comparison; compile the options with `compileComparator` when comparing many responses.
 *
 * @example
 * compareResponses({ status: 200, headers: {} }, { status: 500, headers: {} });
 * // { match: false, truncated: false, differences: [{ path: "status", location: "status", kind: "changed", baseline: 200, dark: 500 }] }
 */
export function compareResponses(baseline: ComparedResponse, dark: ComparedResponse, options?: CompareOptions): ComparisonResult {
  if (options !== undefined) return compileComparator(options)(baseline, dark);
  defaultComparator ??= compileComparator();
  return defaultComparator(baseline, dark);
}

function compare(options: CompiledCompareOptions, baseline: ComparedResponse, dark: ComparedResponse): ComparisonResult {
  const list = new DifferenceList(options.maxDifferences);
  const a = asResponse(baseline);
  const b = asResponse(dark);
  if (!isIgnored(options.ignore, ["status"]) && !sameValue(a.status, b.status)) {
    list.add({ path: "status", location: "status", kind: "changed", baseline: a.status, dark: b.status });
  }
  for (const name of options.headers) {
    const segments = ["headers", name];
    if (isIgnored(options.ignore, segments)) continue;
    const path = formatSegments(segments);
    addChange(list, path, headerValue(a.headers, name), headerValue(b.headers, name));
  }
  if (!list.full && !isIgnored(options.ignore, BODY)) compareBodies(options, list, a, b);
  return list.result();
}

const BODY: readonly PathSegment[] = ["body"];

type Parsed = { value: unknown } | "empty" | "invalid";

/**
 * JSON when the options say so or either side's content-type is JSON: both parse → structural
 * diff; one parses and the other is not JSON → a `type` difference at `body` with both texts;
 * neither parses → compared as text.
 */
function compareBodies(options: CompiledCompareOptions, list: DifferenceList, a: Response, b: Response): void {
  // Most shadowed responses are byte for byte the same: no decoding, parsing or walking for them.
  if (sameBytes(a.body, b.body)) return;
  const textA = bodyText(a.body);
  const textB = bodyText(b.body);
  if (
    options.json ||
    isJsonContentType(headerValue(a.headers, "content-type")) ||
    isJsonContentType(headerValue(b.headers, "content-type"))
  ) {
    const parsedA = parseJson(textA);
    const parsedB = parseJson(textB);
    if (typeof parsedA === "object" && typeof parsedB === "object") {
      diffJson(options, list, { root: BODY, baseline: parsedA.value, dark: parsedB.value });
      return;
    }
    if (typeof parsedA === "object" && parsedB === "empty") {
      list.add({ path: "body", location: "body", kind: "removed", baseline: parsedA.value });
      return;
    }
    if (parsedA === "empty" && typeof parsedB === "object") {
      list.add({ path: "body", location: "body", kind: "added", dark: parsedB.value });
      return;
    }
    if (typeof parsedA === "object" || typeof parsedB === "object") {
      list.add({ path: "body", location: "body", kind: "type", baseline: truncateText(textA ?? ""), dark: truncateText(textB ?? "") });
      return;
    }
  }
  if (normalizeText(textA ?? "", options.normalize) === normalizeText(textB ?? "", options.normalize)) return;
  addChange(list, "body", textA === "" ? undefined : textA, textB === "" ? undefined : textB);
}

/** A `changed`, `added` or `removed` difference between two optional texts (stored truncated). */
function addChange(list: DifferenceList, path: string, baseline: string | undefined, dark: string | undefined): void {
  if (baseline === dark) return;
  const difference: Difference = {
    path,
    location: path,
    kind: baseline === undefined ? "added" : dark === undefined ? "removed" : "changed",
  };
  if (baseline !== undefined) difference.baseline = truncateText(baseline);
  if (dark !== undefined) difference.dark = truncateText(dark);
  list.add(difference);
}

function parseJson(text: string | undefined): Parsed {
  if (text === undefined || text.trim() === "") return "empty";
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return "invalid";
  }
}

interface Response {
  readonly status?: unknown;
  readonly headers?: unknown;
  readonly body?: unknown;
}

const NO_RESPONSE: Response = {};

/**
 * Tolerates whatever a caller passes at run time (null, missing fields) so comparison never throws.
 * The fields are read where they are used, not copied: `headers` may be built on first read (the
 * proxy's are), and a comparison of byte-equal bodies with no header option never reads them.
 */
function asResponse(response: unknown): Response {
  return typeof response === "object" && response !== null ? response : NO_RESPONSE;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** True when both bodies hold the same bytes (or the same text): whatever the options, they match. */
function sameBytes(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "string" && typeof b === "string") return a === b;
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
  // Node compares natively (memcmp): byte by byte in JS, a 1 KB body cost the proxy more than the rest of its comparison.
  if (nativeCompare !== undefined) return nativeCompare(a, b) === 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Node's `Buffer.compare` (any two Uint8Arrays); undefined where there is no Buffer (a browser). */
const nativeCompare = (globalThis as { Buffer?: { compare(a: Uint8Array, b: Uint8Array): number } }).Buffer?.compare;
