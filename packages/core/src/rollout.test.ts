import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.js";
import type { Flag, FlagInput, Serve } from "./flag-schema.js";
import { formatPercentage, rolloutOf, routingFormula, withRollout } from "./rollout.js";
import { compile } from "./snapshot.js";
import { flag, referencePosition } from "./test-builders.js";
import { parseFlag, validateFlag } from "./validate.js";

const parsed = (overrides: Partial<FlagInput> = {}): Flag => parseFlag(flag(overrides));
const split = (...entries: [string, number][]): Serve => ({ split: entries.map(([variant, weight]) => ({ variant, weight })) });

describe("rolloutOf", () => {
  it.each<[string, Serve, ReturnType<typeof rolloutOf>]>([
    ["the off variant alone is 0 %", { variant: "off" }, { percentage: 0, variants: [] }],
    ["another variant alone is 100 %", { variant: "on" }, { percentage: 100, variants: ["on"] }],
    ["on then off", split(["on", 10], ["off", 90]), { percentage: 10, variants: ["on"] }],
    ["two decimals", split(["on", 0.01], ["off", 99.99]), { percentage: 0.01, variants: ["on"] }],
    [
      "several variants before off add up",
      split(["blue", 10], ["green", 15.5], ["off", 74.5]),
      { percentage: 25.5, variants: ["blue", "green"] },
    ],
    ["no off entry at all is 100 %", split(["blue", 50], ["green", 50]), { percentage: 100, variants: ["blue", "green"] }],
    ["off alone in a split is 0 %", split(["off", 100]), { percentage: 0, variants: [] }],
    ["a zero-weight off entry first does not count", split(["off", 0], ["on", 100]), { percentage: 100, variants: ["on"] }],
    ["a zero-weight entry after off does not count", split(["on", 20], ["off", 80], ["blue", 0]), { percentage: 20, variants: ["on"] }],
    ["a zero-weight variant is not rolled out", split(["blue", 0], ["on", 30], ["off", 70]), { percentage: 30, variants: ["on"] }],
    ["off first is no rollout", split(["off", 90], ["on", 10]), undefined],
    ["a variant after off is no rollout", split(["blue", 10], ["off", 80], ["green", 10]), undefined],
  ])("%s", (_, fallthrough, expected) => {
    expect(rolloutOf({ fallthrough, offVariant: "off" })).toEqual(expected);
  });
});

describe("withRollout", () => {
  it("sets the fallthrough to [{variant, p}, {off, 100 - p}] and changes nothing else", () => {
    const original = parsed({ rules: [{ id: "r", conditions: [], serve: { variant: "on" } }], version: 3 });
    const snapshotOfOriginal = structuredClone(original);
    const rolled = withRollout(original, 25);
    expect(rolled).toEqual({
      ...original,
      fallthrough: {
        split: [
          { variant: "on", weight: 25 },
          { variant: "off", weight: 75 },
        ],
      },
    });
    expect(original).toEqual(snapshotOfOriginal);
    expect(validateFlag(rolled).ok).toBe(true);
  });

  it("keeps exact hundredths", () => {
    expect(withRollout(parsed(), 33.33).fallthrough).toEqual(split(["on", 33.33], ["off", 66.67]));
    expect(withRollout(parsed(), 0.01).fallthrough).toEqual(split(["on", 0.01], ["off", 99.99]));
    expect(withRollout(parsed(), 0).fallthrough).toEqual(split(["on", 0], ["off", 100]));
    expect(withRollout(parsed(), 100).fallthrough).toEqual(split(["on", 100], ["off", 0]));
    expect(rolloutOf(withRollout(parsed(), 60.52))).toEqual({ percentage: 60.52, variants: ["on"] });
  });

  it.each([-1, -0.01, 100.01, 10.001, Number.NaN, Number.POSITIVE_INFINITY])("rejects the percentage %s", (percentage) => {
    let error: unknown;
    try {
      withRollout(parsed({ key: "checkout-v2" }), percentage);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const message = `must be from 0 to 100 with at most two decimals, got ${percentage}`;
    expect((error as ValidationError).problems).toEqual([{ path: "percentage", message }]);
    expect((error as ValidationError).message).toBe(`rollout of flag "checkout-v2" is invalid: percentage: ${message}`);
    expect((error as ValidationError).status).toBe(400);
  });

  describe("the variant rolled out", () => {
    const colors = (fallthrough: Serve) => parsed({ variants: { blue: "b", green: "g", off: "" }, fallthrough });

    it("is the flag's only variant besides off", () => {
      expect(withRollout(parsed(), 5).fallthrough.split?.[0]?.variant).toBe("on");
    });

    it("is the one variant already rolled out", () => {
      expect(withRollout(colors(split(["green", 5], ["off", 95])), 50).fallthrough).toEqual(split(["green", 50], ["off", 50]));
      expect(withRollout(colors({ variant: "blue" }), 50).fallthrough).toEqual(split(["blue", 50], ["off", 50]));
    });

    it("is the one named", () => {
      expect(withRollout(colors({ variant: "off" }), 50, "blue").fallthrough).toEqual(split(["blue", 50], ["off", 50]));
      expect(withRollout(colors(split(["green", 5], ["off", 95])), 50, "blue").fallthrough).toEqual(split(["blue", 50], ["off", 50]));
    });

    it("must be named when it is ambiguous", () => {
      for (const fallthrough of [{ variant: "off" }, split(["blue", 5], ["green", 5], ["off", 90]), split(["off", 90], ["green", 10])]) {
        expect(() => withRollout(colors(fallthrough), 50)).toThrow(
          new ValidationError('rollout of flag "f"', [
            { path: "variant", message: 'flag "f" has 2 variants besides "off"; name the one to roll out' },
          ]),
        );
      }
    });

    it("must be a variant of the flag other than off", () => {
      for (const variant of ["off", "purple"]) {
        expect(() => withRollout(colors({ variant: "off" }), 50, variant)).toThrow(
          new ValidationError('rollout of flag "f"', [
            { path: "variant", message: `"${variant}" is not a variant of flag "f" other than its off variant "off"` },
          ]),
        );
      }
    });

    it("a flag with no variant besides off cannot be rolled out", () => {
      expect(() => withRollout(parsed({ variants: { off: false } }), 50)).toThrow(
        'flag "f" has 0 variants besides "off"; name the one to roll out',
      );
    });
  });

  it("is monotone: raising the percentage never removes an included subject", () => {
    const hundredths = fc.integer({ min: 0, max: 10_000 });
    fc.assert(
      fc.property(hundredths, hundredths, fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 50 }), (a, b, ids) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const base = parsed({ key: "ramp" });
        const snapshot = compile({
          flags: [
            { ...withRollout(base, low / 100), key: "low" },
            { ...withRollout(base, high / 100), key: "high" },
          ].map((f) => ({ ...f, salt: "ramp" })),
        });
        for (const id of ids) {
          const before = snapshot.evaluate("low", { id });
          const after = snapshot.evaluate("high", { id });
          if (before.included) expect(after.included, `${id} at ${low / 100} % → ${high / 100} %`).toBe(true);
          expect(before.included).toBe(Math.round(referencePosition(id, "ramp") * 100) < low);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("routingFormula", () => {
  it.each<[Pick<Flag, "key" | "salt" | "bucketBy">, number | undefined, string]>([
    [{ key: "checkout-v2", bucketBy: "id" }, undefined, 'position = uint32_be(md5("checkout-v2:" + id)[0..4]) % 10000 / 100'],
    [{ key: "checkout-v2", bucketBy: "id" }, 10, 'position = uint32_be(md5("checkout-v2:" + id)[0..4]) % 10000 / 100 < 10'],
    [{ key: "checkout-v2", salt: "", bucketBy: "id" }, 0.01, "position = uint32_be(md5(id)[0..4]) % 10000 / 100 < 0.01"],
    [
      { key: "jobs", salt: "shared", bucketBy: "accountId" },
      60.5,
      'position = uint32_be(md5("shared:" + accountId)[0..4]) % 10000 / 100 < 60.5',
    ],
    [{ key: "x", salt: 'say "hi"', bucketBy: "id" }, 100, 'position = uint32_be(md5("say \\"hi\\":" + id)[0..4]) % 10000 / 100 < 100'],
  ])("%j at %s", (f, percentage, expected) => {
    expect(routingFormula(f, percentage)).toBe(expected);
  });
});

describe("formatPercentage", () => {
  it.each<[number, string]>([
    [10, "10"],
    [60.5, "60.5"],
    [60.52, "60.52"],
    [0.01, "0.01"],
    [0, "0"],
    [100, "100"],
    [33.333, "33.33"],
    [0.1 + 0.2, "0.3"],
    [6052 / 100, "60.52"],
    [99.99, "99.99"],
  ])("%s → %s", (percentage, expected) => {
    expect(formatPercentage(percentage)).toBe(expected);
  });
});
