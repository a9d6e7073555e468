import { describe, expect, it } from "vitest";
import { MAX_REGEX_LENGTH, MAX_REGEX_PROGRAM, regexProblem } from "./regex-safety.js";

const syntax = (message: string) => `regex does not compile with RE2 syntax (no backreferences or lookaround): ${message}`;

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
    "^(?<country>[A-Z]{2})-\\d{4}$",
    "(?i)^admin@",
    "\\p{Greek}+",
    // Backtracking shapes are harmless on RE2, which does not backtrack: they are accepted now.
    "(a+)+",
    "(a|a)*$",
    "^(a|a?)+$",
    "([ab]|[ac])*d",
    "(\\w*){2,}",
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
    ["(", syntax("missing closing ): `(`")],
    ["[a-", syntax("missing closing ]: `[a-`")],
    ["a**", syntax("invalid nested repetition operator: `**`")],
    ["\\", syntax("trailing backslash at end of expression")],
    ["(a)\\1", syntax("invalid escape sequence: `\\1`")],
    ["(?=a)", syntax("invalid or unsupported Perl syntax: `(?=`")],
    ["(?!a)", syntax("invalid or unsupported Perl syntax: `(?!`")],
    ["a{1001}", syntax("invalid repeat count: `{1001}`")],
  ])("rejects %j, which RE2 cannot compile", (pattern, message) => {
    expect(regexProblem(pattern)).toBe(message);
  });

  it("rejects a pattern whose RE2 program is too large, even when it is short", () => {
    expect(MAX_REGEX_PROGRAM).toBe(1000);
    expect(regexProblem(".{1000}x")).toBe(
      "regex compiles to 1003 RE2 instructions; the limit is 1000 (large counted repetitions such as .{1000} cost one instruction per repetition)",
    );
    expect(regexProblem(".{990}x")).toBeUndefined();
  });
});
