import { RE2JS } from "re2js";

/** Regular expressions in `matches` conditions (and comparison `normalize.remove`) are at most this many characters. */
export const MAX_REGEX_LENGTH = 256;

/**
 * The most RE2 instructions a pattern may compile to. RE2 runs in time linear in the text, but the
 * factor is the program's size: `.{1000}` is 7 characters and 1 003 instructions, and ten of them
 * take seconds on 10 KB. A 256-character literal is about 260 instructions.
 */
export const MAX_REGEX_PROGRAM = 1000;

/** A pattern compiled for RE2: matching time is linear in the text, whatever the pattern. */
export type SafeRegex = RE2JS;

/**
 * Compiles a pattern with RE2 semantics (re2js). Throws on a pattern RE2 cannot compile; callers
 * that take user input check it with `regexProblem` first (when a flag is saved).
 */
export function compileRegex(pattern: string): SafeRegex {
  return RE2JS.compile(pattern);
}

/**
 * Why a pattern is refused, or undefined when it is accepted. Checked when a flag (or comparison
 * options) is saved, so evaluation never meets a pattern it cannot run: too long, not RE2 syntax
 * (backreferences and lookaround are not, as they cannot be matched in linear time), or too large a
 * program. Backtracking shapes such as `(a+)+` are fine: RE2 does not backtrack.
 */
export function regexProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_REGEX_LENGTH) {
    return `regex is ${pattern.length} characters; the limit is ${MAX_REGEX_LENGTH}`;
  }
  let regex: SafeRegex;
  try {
    regex = compileRegex(pattern);
  } catch (error) {
    const message = (error as Error).message.replace(/^error parsing regexp: /, "");
    return `regex does not compile with RE2 syntax (no backreferences or lookaround): ${message}`;
  }
  const size = regex.programSize();
  if (size > MAX_REGEX_PROGRAM) {
    return `regex compiles to ${size} RE2 instructions; the limit is ${MAX_REGEX_PROGRAM} (large counted repetitions such as .{1000} cost one instruction per repetition)`;
  }
  return undefined;
}

/**
 * How the description of a rule the server could not evaluate begins: a flag stored before
 * `matches` moved to RE2 may hold a pattern RE2 rejects (backreference, lookaround). Such a rule is
 * served with that condition replaced by `NEVER_MATCHING_REGEX`, so it never matches, and explain
 * shows its description as the reason.
 */
export const NOT_EVALUABLE_RULE = "not evaluable";

/** An RE2 pattern no text matches (an empty character class). */
export const NEVER_MATCHING_REGEX = "[^\\x00-\\x{10FFFF}]";
