import { ValidationError } from "./errors.js";

/**
 * Field paths and the patterns that select them (ignore rules, array keys, redaction paths).
 *
 * A generic path is a list of segments: `status`, `headers.content-type`, `body.items[].price`.
 * Segments are separated by `.`; `[]` is "an element of this array" (indices are folded away);
 * a key that is empty, is `*` or `**`, or holds `.`, `[`, `]`, a quote or white space is written as
 * a JSON string in brackets: `body["a.b"].c`. Patterns add `*` (exactly one segment, a key or an
 * array element) and `**` (any number of segments, zero included).
 */

/** The segment that stands for "an element of this array". */
export const ELEMENT: unique symbol = Symbol("[]");
export type PathSegment = string | typeof ELEMENT;

export type PatternToken = { kind: "key"; key: string } | { kind: "element" } | { kind: "one" } | { kind: "any" };

/** A compiled pattern. `matches` is an exact match; `covers` also accepts paths below a match. */
export interface PathPattern {
  readonly source: string;
  /** True when the generic path (e.g. `body.items[].price`) matches the whole pattern. */
  matches(path: string): boolean;
  /** True when the path or one of its ancestors matches: ignoring `body.meta` ignores `body.meta.x`. */
  covers(path: string): boolean;
}

/** Keys written bare in paths; anything else is written `["…"]`. */
const BARE_KEY = /^[^.[\]"'\s]+$/;

/**
 * Compiles a path pattern, or throws a `ValidationError` whose problem sits at `at`
 * (such as `ignore[2]`) and says what is wrong.
 *
 * @example
 * const pattern = compilePathPattern("body.**.updatedAt");
 * pattern.matches("body.items[].updatedAt"); // true
 * pattern.covers("body.updatedAt.seconds"); // true
 */
export function compilePathPattern(source: string, at = ""): PathPattern {
  const parsed = parsePattern(source);
  if (typeof parsed === "string") throw new ValidationError("path pattern", [{ path: at, message: parsed }]);
  return toPathPattern(source, parsed);
}

/** A pattern's tokens, or why it is refused. */
export function parsePattern(source: unknown): PatternToken[] | string {
  if (typeof source !== "string") return "must be a string";
  return tokenize(source, true);
}

export type CompiledPattern = readonly PatternToken[];

export function toPathPattern(source: string, tokens: CompiledPattern): PathPattern {
  return {
    source,
    matches: (path) => {
      const segments = parsePath(path);
      return segments !== undefined && matchSegments(tokens, segments);
    },
    covers: (path) => {
      const segments = parsePath(path);
      return segments !== undefined && coversSegments(tokens, segments);
    },
  };
}

/** The segments of a generic path, or undefined when it is not one. */
export function parsePath(path: string): PathSegment[] | undefined {
  if (typeof path !== "string") return undefined;
  const tokens = tokenize(path, false);
  if (typeof tokens === "string") return undefined;
  return tokens.map((token) => (token.kind === "element" ? ELEMENT : token.kind === "key" ? token.key : "*"));
}

/** Writes segments as a path: `body.items[]["a.b"]`. */
export function formatSegments(segments: readonly PathSegment[]): string {
  let out = "";
  for (const segment of segments) out = appendSegment(out, segment);
  return out;
}

/** `parent.key`, `parent["a.b"]` or `parent[]`. */
export function appendSegment(parent: string, segment: PathSegment): string {
  if (segment === ELEMENT) return `${parent}[]`;
  if (isBareKey(segment)) return parent === "" ? segment : `${parent}.${segment}`;
  return `${parent}[${JSON.stringify(segment)}]`;
}

export function isBareKey(key: string): boolean {
  return BARE_KEY.test(key) && key !== "*" && key !== "**";
}

/** True when the pattern matches all of the segments. */
export function matchSegments(tokens: CompiledPattern, segments: readonly PathSegment[]): boolean {
  return run(tokens, segments)[segments.length] === true;
}

/** True when the pattern matches the segments or a leading part of them. */
export function coversSegments(tokens: CompiledPattern, segments: readonly PathSegment[]): boolean {
  return run(tokens, segments).includes(true);
}

/** reached[j]: the pattern matches the first j segments (a glob match by dynamic programming, no backtracking). */
function run(tokens: CompiledPattern, segments: readonly PathSegment[]): boolean[] {
  const n = segments.length;
  let reached: boolean[] = new Array<boolean>(n + 1).fill(false);
  reached[0] = true;
  for (const token of tokens) {
    const next: boolean[] = new Array<boolean>(n + 1).fill(false);
    if (token.kind === "any") {
      let seen = false;
      for (let j = 0; j <= n; j++) {
        seen ||= reached[j] === true;
        next[j] = seen;
      }
    } else {
      for (let j = 1; j <= n; j++) {
        next[j] = reached[j - 1] === true && tokenMatches(token, segments[j - 1] as PathSegment);
      }
    }
    reached = next;
  }
  return reached;
}

function tokenMatches(token: PatternToken, segment: PathSegment): boolean {
  switch (token.kind) {
    case "one":
      return true;
    case "element":
      return segment === ELEMENT;
    case "key":
      return segment === token.key;
    default:
      return false;
  }
}

function tokenize(source: string, wildcards: boolean): PatternToken[] | string {
  if (source === "") return "a path pattern cannot be empty";
  const tokens: PatternToken[] = [];
  // True at the start and after a ".": a segment must follow.
  let expectSegment = true;
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === ".") {
      if (expectSegment) return `empty segment at character ${i + 1} of ${JSON.stringify(source)}`;
      expectSegment = true;
      i++;
    } else if (c === "]") {
      return `unbalanced "]" at character ${i + 1} of ${JSON.stringify(source)}`;
    } else if (c === "[") {
      if (expectSegment && tokens.length > 0) return `empty segment before "[" at character ${i + 1} of ${JSON.stringify(source)}`;
      const next = source[i + 1];
      if (next === "]") {
        tokens.push({ kind: "element" });
        i += 2;
      } else if (next === '"') {
        const end = closingQuote(source, i + 2);
        if (end < 0) return `unterminated quoted key at character ${i + 2} of ${JSON.stringify(source)}`;
        let key: string;
        try {
          key = JSON.parse(source.slice(i + 1, end + 1)) as string;
        } catch {
          return `quoted key at character ${i + 2} of ${JSON.stringify(source)} is not a valid JSON string`;
        }
        if (source[end + 1] !== "]") return `unbalanced "[": expected "]" at character ${end + 2} of ${JSON.stringify(source)}`;
        tokens.push({ kind: "key", key });
        i = end + 2;
      } else if (!source.includes("]", i)) {
        return `unbalanced "[" at character ${i + 1} of ${JSON.stringify(source)}`;
      } else if (next !== undefined && next >= "0" && next <= "9") {
        return `array index at character ${i + 1} of ${JSON.stringify(source)}: paths fold indices, write "[]" for every element`;
      } else {
        return `expected "[]" or a quoted key such as ["a.b"] at character ${i + 1} of ${JSON.stringify(source)}`;
      }
      expectSegment = false;
    } else {
      if (!expectSegment) return `expected "." or "[" at character ${i + 1} of ${JSON.stringify(source)}`;
      let end = i;
      while (end < source.length && source[end] !== "." && source[end] !== "[" && source[end] !== "]") end++;
      const text = source.slice(i, end);
      if (!BARE_KEY.test(text)) {
        return `segment ${JSON.stringify(text)} holds a quote or white space: write such a key as [${JSON.stringify(text)}]`;
      }
      if (wildcards && text === "*") tokens.push({ kind: "one" });
      else if (wildcards && text === "**") tokens.push({ kind: "any" });
      else if (wildcards && text.includes("*")) {
        return `"*" and "**" must be whole segments, not part of ${JSON.stringify(text)}; write a key with "*" as [${JSON.stringify(text)}]`;
      } else tokens.push({ kind: "key", key: text });
      expectSegment = false;
      i = end;
    }
  }
  if (expectSegment) return `empty segment at the end of ${JSON.stringify(source)}`;
  return tokens;
}

/** Index of the `"` that closes a JSON string whose contents start at `from`, or -1. */
function closingQuote(source: string, from: number): number {
  for (let i = from; i < source.length; i++) {
    if (source[i] === "\\") i++;
    else if (source[i] === '"') return i;
  }
  return -1;
}
