import type { SketchData } from "../latency-sketch.js";

/** Adds `b` into `into` (which the caller owns), growing its bins as needed; the cheap way to sum many sketches. */
export function addSketchInto(into: SketchData, b: SketchData): void {
  if (b.count === 0) return;
  if (b.bins.length > 0) {
    if (into.bins.length === 0) {
      into.offset = b.offset;
      into.bins = b.bins.slice();
    } else {
      const low = Math.min(into.offset, b.offset);
      const high = Math.max(into.offset + into.bins.length, b.offset + b.bins.length);
      if (low < into.offset) into.bins = new Array<number>(into.offset - low).fill(0).concat(into.bins);
      into.offset = low;
      while (into.bins.length < high - low) into.bins.push(0);
      const shift = b.offset - low;
      for (let i = 0; i < b.bins.length; i++) into.bins[shift + i] = (into.bins[shift + i] as number) + (b.bins[i] as number);
    }
  }
  into.min = into.min === null ? b.min : b.min === null ? into.min : Math.min(into.min, b.min);
  into.max = into.max === null ? b.max : b.max === null ? into.max : Math.max(into.max, b.max);
  into.count += b.count;
  into.sum += b.sum;
  into.zeroCount += b.zeroCount;
}
