import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LatencySketch } from "./latency-sketch.js";
import { SideSchema } from "./observation-window.js";
import { checkSketchSide } from "./sketch-side-check.js";

function validSide(latencies: readonly number[], errors: number) {
  const sketch = new LatencySketch();
  for (const ms of latencies) sketch.record(ms);
  return { requests: latencies.length, errors, latency: sketch.toJSON(), reservoir: latencies.slice(0, 256) };
}

const latencies = fc.array(fc.double({ min: 0, max: 5_000, noNaN: true }), { maxLength: 300 });
const valid = latencies.chain((l) => fc.nat({ max: l.length }).map((errors) => validSide(l, errors)));

/** Values that a broken reporter or an attacker might send in place of a field. */
const junk = fc.oneof(
  fc.constantFrom(null, undefined, -1, -0.5, 1.5, 1e10, Number.NaN, Number.POSITIVE_INFINITY, "1", true, [], {}, [1, -1], [Number.NaN]),
  fc.double(),
  fc.integer(),
  fc.array(fc.double(), { maxLength: 5 }),
);

const PATHS = [
  ["requests"],
  ["errors"],
  ["latency"],
  ["reservoir"],
  ["latency", "count"],
  ["latency", "sum"],
  ["latency", "min"],
  ["latency", "max"],
  ["latency", "zeroCount"],
  ["latency", "offset"],
  ["latency", "bins"],
  ["reservoir", "0"],
  ["latency", "bins", "0"],
  ["extra"],
  ["latency", "extra"],
] as const;

/** `side` with the value at `path` replaced (or added, or deleted when `value` is the deletion mark). */
function mutate(side: unknown, path: readonly string[], value: unknown, remove: boolean): unknown {
  const copy = structuredClone(side) as Record<string, unknown>;
  let target = copy as Record<string, unknown>;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    if (typeof next !== "object" || next === null) return copy;
    target = next as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (remove) delete target[last];
  else target[last] = value;
  return copy;
}

describe("checkSketchSide", () => {
  it("accepts every valid sketch side, with the same result as the zod schema", () => {
    fc.assert(
      fc.property(valid, (side) => {
        const fast = checkSketchSide(side);
        expect(fast).toBeDefined();
        expect(fast).toEqual(SideSchema.parse(side));
      }),
    );
  });

  it("never accepts what the zod schema refuses, and agrees with it when both accept (mutated sides)", () => {
    fc.assert(
      fc.property(valid, fc.constantFrom(...PATHS), junk, fc.boolean(), (side, path, value, remove) => {
        const input = mutate(side, path, value, remove);
        const fast = checkSketchSide(input);
        const slow = SideSchema.safeParse(input);
        if (fast !== undefined) {
          expect(slow.success).toBe(true);
          expect(fast).toEqual(slow.data);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("refuses the shapes it leaves to zod: raw latencies, missing or extra keys, inherited keys", () => {
    const side = validSide([1, 2, 3], 0);
    expect(checkSketchSide({ latenciesMs: [1, 2] })).toBeUndefined();
    expect(checkSketchSide({ ...side, note: "x" })).toBeUndefined();
    expect(checkSketchSide({ requests: 3, errors: 0, latency: side.latency })).toBeUndefined();
    expect(checkSketchSide(JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(side).slice(1)}`))).toBeUndefined();
    expect(checkSketchSide(Object.assign(Object.create({ inherited: 1 }), side))).toBeDefined();
  });

  it("returns copies: the caller's arrays are not shared", () => {
    const side = validSide([1, 2, 3], 1);
    const fast = checkSketchSide(side);
    expect(fast?.reservoir).not.toBe(side.reservoir);
    expect(fast?.latency.bins).not.toBe(side.latency.bins);
  });
});
