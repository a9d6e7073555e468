import fc from "fast-check";

/** A letter the adversarial shapes are built from, and one that breaks the match at the end. */
const letterArb = fc.constantFrom("a", "b", "x", "0", "é");

/**
 * Patterns that backtrack catastrophically on an engine that backtracks (issue 11): overlapping
 * alternatives under a star, optional inside plus, runs of stars, nested quantifiers.
 */
export const adversarialPatternArb: fc.Arbitrary<{ pattern: string; letter: string }> = fc
  .tuple(letterArb, fc.integer({ min: 2, max: 40 }), fc.nat(7))
  .map(([c, n, shape]) => {
    const patterns = [
      `(${c}|${c})*$`,
      `^(${c}|${c}?)+$`,
      `([${c}b]|[${c}c])*d`,
      `${`${c}*`.repeat(n)}!`,
      `${".*".repeat(n)}=`,
      `^(${c}+)+$`,
      `(${c}*)*y$`,
      `^(.*${c}){${Math.min(n, 12)}}z`,
    ];
    return { pattern: patterns[shape]!, letter: c };
  });

/** 10 KB subjects made of the pattern's letter, with a tail that makes the match fail late. */
export const largeSubjectArb = (letter: string): fc.Arbitrary<string> =>
  fc
    .tuple(fc.integer({ min: 9_000, max: 10_240 }), fc.constantFrom("!", "", "\u0000", "a=b", " "))
    .map(([length, tail]) => letter.repeat(length) + tail);
