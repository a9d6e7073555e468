/** Diffy's thresholds: how far a field's dark-vs-stable rate must exceed its stable-vs-stable rate. */
export interface NoiseThresholds {
  /** (r − n) / r must exceed this (default 0.2: 20 %). */
  relative: number;
  /** r − n must exceed this share of requests (default 0.0003: 0.03 %). */
  absolute: number;
}

export const DEFAULT_NOISE_THRESHOLDS: NoiseThresholds = { relative: 0.2, absolute: 0.0003 };

/** Counts for one field path: differences dark vs stable over `total` comparisons, stable vs secondary over `noiseTotal`. */
export interface FieldCounts {
  raw: number;
  total: number;
  noise: number;
  noiseTotal: number;
}

/**
 * Whether a field's differences are real rather than noise (Diffy's rule, docs/architecture.md#dark-paths-and-observations). With a second
 * stable instance, a field differs for real only when it differs between stable and dark more often
 * than between stable and stable (R > N, as rates r and n since the two may be compared a different
 * number of times), by more than 20 % of r and by more than 0.03 % of requests. With no noise
 * comparisons at all, every difference is real.
 */
export function isSignificant(counts: FieldCounts, thresholds: NoiseThresholds = DEFAULT_NOISE_THRESHOLDS): boolean {
  if (counts.raw <= 0 || counts.total <= 0) return false;
  if (counts.noiseTotal <= 0) return true;
  const r = counts.raw / counts.total;
  const n = counts.noise / counts.noiseTotal;
  return r > n && (r - n) / r > thresholds.relative && r - n > thresholds.absolute;
}
