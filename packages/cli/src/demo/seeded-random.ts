/** A small seeded generator (mulberry32): `--seed` replays the same users, delays and failures. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An exponential draw with this mean (1 − u keeps the log away from 0). */
export function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean;
}
