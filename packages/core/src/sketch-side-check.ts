import { RESERVOIR_CAPACITY } from "./latency-reservoir.js";
import type { SketchData } from "./latency-sketch.js";
import type { SideWindow } from "./observation-window.js";
import { isRecord } from "./option-checks.js";

/** Bounds of the wire format, the same as the zod schemas' in observation-window.ts. */
export const MAX_SKETCH_BINS = 4096;
export const MAX_LATENCY_MS = 1e9;
export const SKETCH_OFFSET_BOUND = 100_000;

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER;
}

function isNonNegative(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function isLatency(value: unknown): value is number {
  return isNonNegative(value) && value <= MAX_LATENCY_MS;
}

/** Own enumerable keys, all of them in `allowed` and `required` of them there: a strict object's shape. */
function hasExactKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  let count = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (!keys.includes(key)) return false;
    count++;
  }
  return count === keys.length;
}

const SIDE_FIELDS = ["requests", "errors", "latency", "reservoir"] as const;
const SKETCH_FIELDS = ["count", "sum", "min", "max", "zeroCount", "offset", "bins"] as const;

function sketch(value: unknown): SketchData | undefined {
  if (!isRecord(value) || !hasExactKeys(value, SKETCH_FIELDS)) return undefined;
  const { count, sum, min, max, zeroCount, offset, bins } = value;
  if (!isNonNegative(count) || !isNonNegative(sum) || !isNonNegative(zeroCount)) return undefined;
  if (min !== null && !isLatency(min)) return undefined;
  if (max !== null && !isLatency(max)) return undefined;
  if (typeof offset !== "number" || !Number.isInteger(offset) || Math.abs(offset) > SKETCH_OFFSET_BOUND) return undefined;
  if (!Array.isArray(bins) || bins.length > MAX_SKETCH_BINS) return undefined;
  let total = zeroCount;
  for (let i = 0; i < bins.length; i++) {
    const n: unknown = bins[i];
    if (!isNonNegative(n)) return undefined;
    total += n;
  }
  if (!(Math.abs(total - count) < 1e-6)) return undefined;
  return { count, sum, min, max, zeroCount, offset, bins: bins.slice() as number[] };
}

/**
 * The common case of a posted side — the sketch form a proxy or SDK sends — checked in one pass
 * without zod. Ingest is CPU-bound on validation (a window's two sides carry hundreds of numbers,
 * and zod runs a schema per number); this accepts exactly what `SideSchema` accepts in that form
 * and returns what it would, or `undefined` for anything else, which then goes through zod for its
 * error messages (sketch-side-check.test.ts holds the two to the same answers).
 */
export function checkSketchSide(value: unknown): SideWindow | undefined {
  if (!isRecord(value) || !hasExactKeys(value, SIDE_FIELDS)) return undefined;
  const { requests, errors, latency, reservoir } = value;
  if (!isCount(requests) || !isCount(errors) || errors > requests) return undefined;
  const data = sketch(latency);
  if (data === undefined || data.count !== requests) return undefined;
  if (!Array.isArray(reservoir) || reservoir.length > RESERVOIR_CAPACITY) return undefined;
  for (let i = 0; i < reservoir.length; i++) if (!isLatency(reservoir[i])) return undefined;
  return { requests, errors, latency: data, reservoir: reservoir.slice() as number[] };
}
