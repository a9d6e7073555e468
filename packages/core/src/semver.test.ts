import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareSemver, parseSemver, type SemVer } from "./semver.js";

function parsed(text: string): SemVer {
  const version = parseSemver(text);
  if (version === undefined) throw new Error(`not a version: ${text}`);
  return version;
}

const compare = (a: string, b: string) => Math.sign(compareSemver(parsed(a), parsed(b)));

describe("parseSemver", () => {
  it.each<[string, SemVer]>([
    ["1.2.3", { major: 1, minor: 2, patch: 3, pre: [] }],
    ["0.0.0", { major: 0, minor: 0, patch: 0, pre: [] }],
    ["10.20.30", { major: 10, minor: 20, patch: 30, pre: [] }],
    ["1.0.0-alpha", { major: 1, minor: 0, patch: 0, pre: ["alpha"] }],
    ["1.0.0-alpha.1", { major: 1, minor: 0, patch: 0, pre: ["alpha", 1] }],
    ["1.0.0-0.3.7", { major: 1, minor: 0, patch: 0, pre: [0, 3, 7] }],
    ["1.0.0-x.7.z.92", { major: 1, minor: 0, patch: 0, pre: ["x", 7, "z", 92] }],
    ["1.0.0-x-y.0a.-", { major: 1, minor: 0, patch: 0, pre: ["x-y", "0a", "-"] }],
    ["1.0.0+20130313144700", { major: 1, minor: 0, patch: 0, pre: [] }],
    ["1.0.0-beta+exp.sha.5114f85", { major: 1, minor: 0, patch: 0, pre: ["beta"] }],
    ["v1.2.3", { major: 1, minor: 2, patch: 3, pre: [] }],
    ["=1.2.3", { major: 1, minor: 2, patch: 3, pre: [] }],
    ["v2.0.0-rc.1", { major: 2, minor: 0, patch: 0, pre: ["rc", 1] }],
    ["1.2", { major: 1, minor: 2, patch: 0, pre: [] }],
    ["v20", { major: 20, minor: 0, patch: 0, pre: [] }],
    ["1.2-beta", { major: 1, minor: 2, patch: 0, pre: ["beta"] }],
    [" 1.2.3\n", { major: 1, minor: 2, patch: 3, pre: [] }],
  ])("%j", (text, expected) => {
    expect(parseSemver(text)).toEqual(expected);
  });

  it.each([
    "",
    "v",
    "1.",
    "1.2.",
    "1.2.3.4",
    "01.2.3",
    "1.02.3",
    "1.2.03",
    "1.2.3-01",
    "1.2.3-alpha.01",
    "1.2.3-",
    "1.2.3-alpha..1",
    "1.2.3+",
    "1.2.3+build..1",
    "1.2.3-beta_1",
    "1.2.3 beta",
    "V1.2.3",
    "vv1.2.3",
    "-1.2.3",
    "a.b.c",
    "latest",
    "1.2.3-β",
    `1.0.0-${"a".repeat(251)}`,
  ])("rejects %j", (text) => {
    expect(parseSemver(text)).toBeUndefined();
  });

  it("accepts up to 256 characters", () => {
    expect(parseSemver(`1.0.0-${"a".repeat(250)}`)?.pre).toEqual(["a".repeat(250)]);
  });
});

describe("compareSemver: precedence of semver 2.0.0 §11", () => {
  const ORDERED = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.1.0",
    "1.9.0",
    "1.10.0",
    "2.0.0-0",
    "2.0.0",
    "2.1.1",
    "10.0.0",
  ];

  it.each(ORDERED.slice(1).map((b, i) => [ORDERED[i]!, b]))("%s < %s", (a, b) => {
    expect(compare(a, b)).toBe(-1);
    expect(compare(b, a)).toBe(1);
  });

  it("orders every pair as the list does", () => {
    ORDERED.forEach((a, i) => {
      ORDERED.forEach((b, j) => {
        expect(compare(a, b), `${a} vs ${b}`).toBe(Math.sign(i - j));
      });
    });
  });

  it("sorts a shuffled list into precedence order", () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(ORDERED, { minLength: ORDERED.length }), (shuffled) => {
        const sorted = shuffled.map(parsed).sort(compareSemver);
        expect(sorted).toEqual(ORDERED.map(parsed));
      }),
    );
  });

  it("numeric identifiers compare as numbers and rank below alphanumeric ones", () => {
    expect(compare("1.0.0-2", "1.0.0-10")).toBe(-1);
    expect(compare("1.0.0-999", "1.0.0-a")).toBe(-1);
    expect(compare("1.0.0-1a", "1.0.0-1")).toBe(1);
  });

  it("alphanumeric identifiers compare in ASCII order", () => {
    expect(compare("1.0.0-Beta", "1.0.0-alpha")).toBe(-1);
    expect(compare("1.0.0-a-b", "1.0.0-a.b")).toBe(1);
  });

  it("ignores build metadata, a leading v and missing parts", () => {
    expect(compare("1.0.0+build.1", "1.0.0+build.2")).toBe(0);
    expect(compare("1.0.0-rc.1+a", "1.0.0-rc.1")).toBe(0);
    expect(compare("v1.2.3", "1.2.3")).toBe(0);
    expect(compare("1.2", "1.2.0")).toBe(0);
    expect(compare("v20", "20.0.0")).toBe(0);
  });

  it("is antisymmetric and transitive", () => {
    const identifier = fc.oneof(fc.nat({ max: 20 }).map(String), fc.constantFrom("alpha", "beta", "rc", "A", "a-1", "0a"));
    const version = fc
      .tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.array(identifier, { maxLength: 3 }))
      .map(([major, minor, patch, pre]) => parsed(`${major}.${minor}.${patch}${pre.length > 0 ? `-${pre.join(".")}` : ""}`));
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        // Summed, not negated: -Math.sign(0) is -0, which toBe (Object.is) tells from 0.
        expect(Math.sign(compareSemver(a, b)) + Math.sign(compareSemver(b, a))).toBe(0);
        if (compareSemver(a, b) <= 0 && compareSemver(b, c) <= 0) expect(compareSemver(a, c)).toBeLessThanOrEqual(0);
        expect(compareSemver(a, a)).toBe(0);
      }),
    );
  });
});
