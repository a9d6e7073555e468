import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.js";
import { compilePathPattern, ELEMENT, formatSegments, type PathSegment, parsePath } from "./path-pattern.js";

function problemOf(pattern: string, at = "ignore[2]"): { path: string; message: string } | undefined {
  try {
    compilePathPattern(pattern, at);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).problems[0];
  }
  return undefined;
}

describe("compilePathPattern", () => {
  it.each([
    ["status", "status", true],
    ["status", "headers.status", false],
    ["headers.date", "headers.date", true],
    ["body.meta.*", "body.meta.version", true],
    ["body.meta.*", "body.meta", false],
    ["body.meta.*", "body.meta.a.b", false],
    ["body.meta.*", "body.meta[]", true],
    ["body.items[].id", "body.items[].id", true],
    ["body.items[].id", "body.items.id", false],
    ["body.items[]", "body.items", false],
    ["body.**.updatedAt", "body.updatedAt", true],
    ["body.**.updatedAt", "body.items[].meta.updatedAt", true],
    ["body.**.updatedAt", "body.items[].meta.updatedAt.x", false],
    ["**", "status", true],
    ["**.id", "headers.id", true],
    ['body["a.b"].c', 'body["a.b"].c', true],
    ['body["a.b"].c', "body.a.b.c", false],
    ['body["*"]', 'body["*"]', true],
    ['body["*"]', "body.x", false],
    ['body[""]', 'body[""]', true],
    ["body.*", 'body["a b"]', true],
    ["body.items[][].x", "body.items[][].x", true],
  ])("%s matches %s: %s", (pattern, path, expected) => {
    expect(compilePathPattern(pattern).matches(path)).toBe(expected);
  });

  it("covers a matched path and everything below it, nothing above", () => {
    const pattern = compilePathPattern("body.meta");
    expect(pattern.covers("body.meta")).toBe(true);
    expect(pattern.covers("body.meta.x[].y")).toBe(true);
    expect(pattern.covers("body")).toBe(false);
    expect(pattern.covers("body.metadata")).toBe(false);
    expect(pattern.matches("body.meta.x")).toBe(false);
  });

  it("never matches a string that is not a path", () => {
    const pattern = compilePathPattern("**");
    expect(pattern.matches("body..x")).toBe(false);
    expect(pattern.covers("body[")).toBe(false);
  });

  it.each([
    ["", "a path pattern cannot be empty"],
    ["body..x", 'empty segment at character 6 of "body..x"'],
    [".body", 'empty segment at character 1 of ".body"'],
    ["body.", 'empty segment at the end of "body."'],
    ["body.[]", 'empty segment before "[" at character 6 of "body.[]"'],
    ["body.items[", 'unbalanced "[" at character 11 of "body.items["'],
    ["body.items]", 'unbalanced "]" at character 11 of "body.items]"'],
    ["body.items[x", 'unbalanced "[" at character 11 of "body.items[x"'],
    ["body.items[3]", 'array index at character 11 of "body.items[3]": paths fold indices, write "[]" for every element'],
    ["body.items[id]", 'expected "[]" or a quoted key such as ["a.b"] at character 11 of "body.items[id]"'],
    ['body["a.b"', 'unbalanced "[": expected "]" at character 11 of "body[\\"a.b\\""'],
    ['body["a.b]', 'unterminated quoted key at character 6 of "body[\\"a.b]"'],
    ['body["\\q"]', 'quoted key at character 6 of "body[\\"\\\\q\\"]" is not a valid JSON string'],
    ["body.items[]x", 'expected "." or "[" at character 13 of "body.items[]x"'],
    ["body.a b", 'segment "a b" holds a quote or white space: write such a key as ["a b"]'],
    ["body.it's", 'segment "it\'s" holds a quote or white space: write such a key as ["it\'s"]'],
    ["body.a*", '"*" and "**" must be whole segments, not part of "a*"; write a key with "*" as ["a*"]'],
    ["body.***", '"*" and "**" must be whole segments, not part of "***"; write a key with "*" as ["***"]'],
  ])("refuses %j: %s", (pattern, message) => {
    expect(problemOf(pattern)).toEqual({ path: "ignore[2]", message });
  });

  it("throws a ValidationError that names the pattern's place", () => {
    expect(() => compilePathPattern("a..b", "paths[0]")).toThrow(
      'path pattern is invalid: paths[0]: empty segment at character 3 of "a..b"',
    );
  });
});

describe("parsePath and formatSegments", () => {
  it("round-trip keys that need quoting", () => {
    const segments: PathSegment[] = ["body", "a.b", ELEMENT, "*", "", 'q"t', "x-y", ELEMENT, ELEMENT];
    const path = formatSegments(segments);
    expect(path).toBe('body["a.b"][]["*"][""]["q\\"t"].x-y[][]');
    expect(parsePath(path)).toEqual(segments);
  });
});
