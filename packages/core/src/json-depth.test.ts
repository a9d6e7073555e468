import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pathDeeperThan } from "./json-depth.js";

const nested = (levels: number, leaf: unknown = 1): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
};

describe("pathDeeperThan", () => {
  it("counts objects and arrays, not scalars", () => {
    expect(pathDeeperThan(1, 0)).toBeUndefined();
    expect(pathDeeperThan("x", 0)).toBeUndefined();
    expect(pathDeeperThan({}, 1)).toBeUndefined();
    expect(pathDeeperThan({}, 0)).toEqual([]);
    expect(pathDeeperThan({ a: [{ b: 1 }] }, 3)).toBeUndefined();
    expect(pathDeeperThan({ a: [{ b: 1 }] }, 2)).toEqual(["a", 0]);
    expect(pathDeeperThan({ x: 1, a: { y: [] } }, 2)).toEqual(["a", "y"]);
  });

  it("names the first too-deep path in document order", () => {
    expect(pathDeeperThan({ a: { b: {} }, c: { d: {} } }, 2)).toEqual(["a", "b"]);
  });

  it("measures input nested 100 000 deep without recursion, and calls a cycle too deep", () => {
    const deep = nested(100_000);
    expect(pathDeeperThan(deep, 32)).toHaveLength(32);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(pathDeeperThan(cycle, 10)).toEqual(Array(10).fill("self"));
  });

  it("agrees with the depth measured recursively on small values", () => {
    const depth = (value: unknown): number =>
      typeof value !== "object" || value === null ? 0 : 1 + Math.max(0, ...Object.values(value).map(depth));
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 7 }), (value, limit) => {
        expect(pathDeeperThan(value, limit) === undefined).toBe(depth(value) <= limit);
      }),
    );
  });
});
