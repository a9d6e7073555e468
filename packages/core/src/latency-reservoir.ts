/** How many raw latencies a window keeps per side (the judge's Mann-Whitney test reads them). */
export const RESERVOIR_CAPACITY = 256;

/** A source of uniform numbers in [0, 1); tests pass a seeded one. */
export type Random = () => number;

/**
 * A uniform sample of at most `capacity` latencies out of `seen` (Vitter's algorithm R). Merging
 * keeps it uniform over both inputs: each side contributes in proportion to how many it saw.
 */
export class LatencyReservoir {
  private readonly values: number[];
  private seenCount: number;

  constructor(
    values: readonly number[] = [],
    seen = values.length,
    private readonly capacity = RESERVOIR_CAPACITY,
    private readonly random: Random = Math.random,
  ) {
    this.values = values.slice(0, capacity);
    this.seenCount = Math.max(seen, this.values.length);
  }

  get seen(): number {
    return this.seenCount;
  }

  record(ms: number): void {
    this.seenCount++;
    if (this.values.length < this.capacity) {
      this.values.push(ms);
      return;
    }
    const slot = Math.floor(this.random() * this.seenCount);
    if (slot < this.capacity) this.values[slot] = ms;
  }

  merge(values: readonly number[], seen: number): void {
    const total = this.seenCount + seen;
    if (this.values.length + values.length <= this.capacity) {
      this.values.push(...values);
    } else {
      // Each side keeps a share of the slots proportional to what it stands for.
      const fromOther = Math.min(values.length, Math.round((this.capacity * seen) / Math.max(1, total)));
      const fromThis = Math.min(this.values.length, this.capacity - fromOther);
      const kept = sample(this.values, fromThis, this.random).concat(sample(values, fromOther, this.random));
      this.values.length = 0;
      this.values.push(...kept);
    }
    this.seenCount = total;
  }

  toArray(): number[] {
    return this.values.slice();
  }
}

function sample(values: readonly number[], count: number, random: Random): number[] {
  const copy = values.slice();
  // Partial Fisher–Yates: the first `count` slots end up a uniform sample without replacement.
  for (let i = 0; i < count && i < copy.length; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    const held = copy[i] as number;
    copy[i] = copy[j] as number;
    copy[j] = held;
  }
  return copy.slice(0, count);
}
