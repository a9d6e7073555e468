/**
 * Semantic versions (semver 2.0.0 precedence) for the `semverEq`, `semverLt` and `semverGt` operators.
 * A leading `v` or `=` is accepted and a missing minor or patch counts as 0 (`v20`, `1.2`), because
 * that is how versions arrive from clients. Build metadata is ignored, as the spec says.
 */
export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Pre-release identifiers: numbers for numeric ones, strings otherwise. Empty for a release. */
  readonly pre: readonly (string | number)[];
}

const SEMVER =
  /^[v=]?(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?)?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const NUMERIC = /^(0|[1-9]\d*)$/;

/** Parses a version, or returns undefined when the text is not one. */
export function parseSemver(text: string): SemVer | undefined {
  if (text.length > 256) return undefined;
  const m = SEMVER.exec(text.trim());
  if (!m) return undefined;
  const pre: (string | number)[] = [];
  if (m[4] !== undefined) {
    for (const id of m[4].split(".")) {
      if (/^\d+$/.test(id)) {
        // Numeric identifiers must not have leading zeros (semver 2.0.0, item 9).
        if (!NUMERIC.test(id)) return undefined;
        pre.push(Number(id));
      } else {
        pre.push(id);
      }
    }
  }
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0), pre };
}

/** Negative when a < b, zero when equal, positive when a > b, by semver precedence. */
export function compareSemver(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  // A release ranks above any of its pre-releases.
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length;
  const n = Math.min(a.pre.length, b.pre.length);
  for (let i = 0; i < n; i++) {
    const x = a.pre[i]!;
    const y = b.pre[i]!;
    if (x === y) continue;
    const xNum = typeof x === "number";
    const yNum = typeof y === "number";
    if (xNum && yNum) return x - y;
    // Numeric identifiers rank below alphanumeric ones.
    if (xNum) return -1;
    if (yNum) return 1;
    return x < y ? -1 : 1;
  }
  return a.pre.length - b.pre.length;
}
