import { DDSketch } from "@datadog/sketches-js";

/** Relative accuracy of every latency sketch: a reported quantile is within 1 % of the true one. */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

/** Latencies below this (a nanosecond) are recorded as 0: no clock measures them. */
export const MIN_SKETCH_LATENCY_MS = 1e-6;
/** Latencies above this (about 11.5 days, the wire format's bound) are recorded as this. */
export const MAX_SKETCH_LATENCY_MS = 1e9;

/**
 * A latency sketch as JSON: the DDSketch's positive bins from `offset` on, its zero count and its
 * summary statistics. Latencies are milliseconds and never negative, so there are no negative bins.
 */
export interface SketchData {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  zeroCount: number;
  offset: number;
  bins: number[];
}

/**
 * A mergeable latency quantile sketch (DDSketch, 1 % relative accuracy). Two sketches merge
 * exactly: the merge of sketches over A and B answers every quantile as a sketch over A ∪ B would.
 *
 * @example
 * const s = new LatencySketch(); s.record(12.5); s.record(40);
 * s.quantile(0.99); // ≈ 40
 */
export class LatencySketch {
  private readonly sketch = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });

  get count(): number {
    return this.sketch.count;
  }

  get sum(): number {
    return this.sketch.sum;
  }

  /**
   * Adds one latency in milliseconds; a negative or non-finite value counts as 0, and so does one
   * under `MIN_SKETCH_LATENCY_MS`: a sketch's bins span from its smallest to its largest value, so
   * one value of 1e-300 ms next to a second's would need some 35 000 bins (and be refused on the wire).
   */
  record(ms: number, weight = 1): void {
    const value = Number.isFinite(ms) && ms >= MIN_SKETCH_LATENCY_MS ? Math.min(ms, MAX_SKETCH_LATENCY_MS) : 0;
    if (weight > 0) this.sketch.accept(value, weight);
  }

  /** The latency at quantile `q` (0..1), or `null` when the sketch is empty. */
  quantile(q: number): number | null {
    if (this.sketch.count === 0) return null;
    const value = this.sketch.getValueAtQuantile(Math.min(1, Math.max(0, q)));
    // DDSketch answers with a bin's representative value; never report outside what was seen.
    return Math.min(this.sketch.max, Math.max(this.sketch.min, value));
  }

  /**
   * Adds every value of `other`. Bins are added key by key rather than through the library's store
   * merge, which mishandles a store whose highest key is 0 (a latency of about 1 ms).
   */
  merge(other: LatencySketch): void {
    this.mergeData(other.toJSON());
  }

  /** Adds a sketch given as JSON (see `toJSON`). */
  mergeData(data: SketchData): void {
    if (data.count === 0) return;
    const store = this.sketch.store;
    for (let i = 0; i < data.bins.length; i++) {
      const weight = data.bins[i] ?? 0;
      if (weight > 0) store.add(data.offset + i, weight);
    }
    const sketch = this.sketch;
    sketch.zeroCount += data.zeroCount;
    sketch.count += data.count;
    sketch.sum += data.sum;
    if (data.min !== null && data.min < sketch.min) sketch.min = data.min;
    if (data.max !== null && data.max > sketch.max) sketch.max = data.max;
  }

  toJSON(): SketchData {
    const sketch = this.sketch;
    const store = sketch.store;
    if (store.count === 0) {
      return { count: sketch.count, sum: sketch.sum, ...minMax(sketch), zeroCount: sketch.zeroCount, offset: 0, bins: [] };
    }
    const bins: number[] = [];
    for (let key = store.minKey; key <= store.maxKey; key++) bins.push(store.bins[key - store.offset] ?? 0);
    return { count: sketch.count, sum: sketch.sum, ...minMax(sketch), zeroCount: sketch.zeroCount, offset: store.minKey, bins };
  }

  static from(data: SketchData): LatencySketch {
    const sketch = new LatencySketch();
    sketch.mergeData(data);
    return sketch;
  }
}

function minMax(sketch: DDSketch): { min: number | null; max: number | null } {
  return sketch.count === 0 ? { min: null, max: null } : { min: sketch.min, max: sketch.max };
}

/** An empty sketch's JSON. */
export function emptySketchData(): SketchData {
  return { count: 0, sum: 0, min: null, max: null, zeroCount: 0, offset: 0, bins: [] };
}
