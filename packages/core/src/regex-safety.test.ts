import { describe, expect, it } from "vitest";
import { MAX_REGEX_LENGTH, regexProblem } from "./regex-safety.js";

const nested = (pattern: string) =>
  `regex ${JSON.stringify(pattern)} nests a quantifier inside a quantified group, which can backtrack catastrophically; rewrite it without the nesting`;

describe("regexProblem", () => {
  it.each([
    "^u-\\d+$",
    "^[a-z0-9._%+-]+@example\\.com$",
    "/v2/",
    "^(NL|DE|BE)$",
    "(foo|bar)+",
    "(ab)+",
    "(?:ab)*c",
    "a+b*c{2,3}",
    "(a+)",
    "(a+)?",
    "(a+)b+",
    "[(a+)]+",
    "[a(]+(b+)c",
    "\\(a+\\)+",
    "(a\\+)+",
    "[\\]+]+",
    "^(?<country>[A-Z]{2})-\\d{4}$",
    "x".repeat(MAX_REGEX_LENGTH),
  ])("accepts %j", (pattern) => {
    expect(regexProblem(pattern)).toBeUndefined();
  });

  it("rejects a pattern over the length limit", () => {
    expect(MAX_REGEX_LENGTH).toBe(256);
    expect(regexProblem("x".repeat(257))).toBe("regex is 257 characters; the limit is 256");
    expect(regexProblem("(a+)+".repeat(60))).toBe("regex is 300 characters; the limit is 256");
  });

  it.each([
    ["(", "regex does not compile: Invalid regular expression: /(/: Unterminated group"],
    ["[a-", "regex does not compile: Invalid regular expression: /[a-/: Unterminated character class"],
    ["a**", "regex does not compile: Invalid regular expression: /a**/: Nothing to repeat"],
    ["(?<n>a", "regex does not compile: Invalid regular expression: /(?<n>a/: Unterminated group"],
    ["\\", "regex does not compile: Invalid regular expression: /\\/: \\ at end of pattern"],
  ])("rejects %j, which does not compile", (pattern, message) => {
    expect(regexProblem(pattern)).toBe(message);
  });

  it.each([
    "(a+)+",
    "((a+)b)*",
    "(\\w*){2,}",
    "(a*)*",
    "(a+)*$",
    "^(\\d+)+$",
    "(?:a|b+)+",
    "(?:x(?:a+))+",
    "(a{1,3})+",
    "((ab)+)+",
    "(x(a+))*",
    "([a-z]+\\.)+com",
    "(.*a){10,}",
    "\\\\(a+)+",
    "(a+){2}",
  ])("rejects %j, a quantifier nested in a quantified group", (pattern) => {
    expect(regexProblem(pattern)).toBe(nested(pattern));
  });
});
