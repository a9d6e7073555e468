/**
 * The e-BH procedure (Wang & Ramdas 2022): given e-values of m hypotheses, rejects the k* largest,
 * k* = max{ k : e_(k) ≥ m / (q·k) }. Controls the false discovery rate at q under any dependence
 * between the e-values, which per-route and per-field rows of one flag certainly have.
 * Returns, for each input, whether it is a discovery.
 */
export function eBenjaminiHochberg(eValues: readonly number[], q: number): boolean[] {
  const m = eValues.length;
  const order = eValues.map((e, i) => ({ e, i })).sort((x, y) => y.e - x.e);
  let kStar = 0;
  for (let k = 1; k <= m; k++) {
    if ((order[k - 1] as { e: number }).e >= m / (q * k)) kStar = k;
  }
  const out = new Array<boolean>(m).fill(false);
  for (let k = 0; k < kStar; k++) out[(order[k] as { i: number }).i] = true;
  return out;
}
