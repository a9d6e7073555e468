/**
 * The benches' knobs from the environment. A knob set to something unusable stops the bench with
 * the knob's name and value: a typo must not run a 10-minute bench on a silent default (or on NaN
 * rounds, which ran nothing and printed nothing).
 */

/** A whole number of at least `min`, or `fallback` when unset or empty. */
export function intKnob(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number of at least ${min}, got "${raw}"`);
  return value;
}

/** A comma-separated list, each item one of `known`; undefined when unset or empty. */
export function listKnob(name: string, known: readonly string[]): string[] | undefined {
  const raw = process.env[name];
  const items = raw
    ?.split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  if (items === undefined || items.length === 0) return undefined;
  const unknown = items.filter((item) => !known.includes(item));
  if (unknown.length > 0)
    throw new Error(`${name}: unknown ${unknown.map((u) => `"${u}"`).join(", ")}; known here: ${known.map((k) => `"${k}"`).join(", ")}`);
  return items;
}
