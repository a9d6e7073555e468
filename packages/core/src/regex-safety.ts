/** Regular expressions in `matches` conditions are at most this many characters. */
export const MAX_REGEX_LENGTH = 256;

/**
 * Why a `matches` pattern is refused, or undefined when it is accepted.
 *
 * Patterns are checked when a flag is saved, not when it is evaluated: too long, does not compile,
 * or a quantified group that itself contains a quantifier (`(a+)+`, `(\w*)*`), the shape behind
 * catastrophic backtracking, which would let one flag stall every service that evaluates it.
 */
export function regexProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_REGEX_LENGTH) {
    return `regex is ${pattern.length} characters; the limit is ${MAX_REGEX_LENGTH}`;
  }
  try {
    new RegExp(pattern);
  } catch (error) {
    return `regex does not compile: ${(error as Error).message}`;
  }
  if (hasNestedQuantifier(pattern)) {
    return `regex ${JSON.stringify(pattern)} nests a quantifier inside a quantified group, which can backtrack catastrophically; rewrite it without the nesting`;
  }
  return undefined;
}

function isQuantifierAt(pattern: string, i: number): boolean {
  const c = pattern[i];
  if (c === "*" || c === "+") return true;
  // `{n,}` and `{n,m}` repeat; `{n}` alone cannot backtrack but is treated alike for simplicity.
  return c === "{" && /^\{\d+(,\d*)?\}/.test(pattern.slice(i));
}

function hasNestedQuantifier(pattern: string): boolean {
  // Each open group records whether a quantifier occurred inside it.
  const stack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
    } else if (c === "(") {
      stack.push(false);
    } else if (c === ")") {
      const inner = stack.pop() ?? false;
      if (inner && isQuantifierAt(pattern, i + 1)) return true;
      // A group containing a quantifier makes its enclosing group contain one too.
      if (inner && stack.length > 0) stack[stack.length - 1] = true;
    } else if (isQuantifierAt(pattern, i) && stack.length > 0) {
      stack[stack.length - 1] = true;
    }
  }
  return false;
}
