import { ValidationError } from "./errors.js";
import type { Flag } from "./flag-schema.js";
import { isValidPercentage, POSITION_SCALE, toHundredths } from "./position.js";
import { onVariants } from "./validate.js";

/** A fallthrough read as one rollout: positions below `percentage` get a variant that is not off. */
export interface Rollout {
  percentage: number;
  /** The variants served inside the rollout, in split order. */
  variants: string[];
}

/**
 * Reads the fallthrough as a rollout when it is one: a single variant (0 % or 100 %) or a split whose
 * non-off entries all come before its off entries, so that "included" is exactly `position < p`.
 * Returns undefined for other splits (say, off first), which have no single percentage.
 */
export function rolloutOf(flag: Pick<Flag, "fallthrough" | "offVariant">): Rollout | undefined {
  const { fallthrough, offVariant } = flag;
  if (fallthrough.variant !== undefined) {
    return fallthrough.variant === offVariant ? { percentage: 0, variants: [] } : { percentage: 100, variants: [fallthrough.variant] };
  }
  let hundredths = 0;
  let seenOff = false;
  const variants: string[] = [];
  for (const entry of fallthrough.split ?? []) {
    const weight = toHundredths(entry.weight);
    if (weight === 0) continue;
    if (entry.variant === offVariant) {
      seenOff = true;
      continue;
    }
    if (seenOff) return undefined;
    hundredths += weight;
    variants.push(entry.variant);
  }
  return { percentage: hundredths / 100, variants };
}

/**
 * The flag with its fallthrough set to a rollout of `percentage` percent: `[{variant, p}, {off, 100 - p}]`.
 * Raising the percentage only adds subjects, because the included range is always [0, p).
 * `variant` defaults to the one variant already rolled out, or the flag's only non-off variant.
 *
 * @example
 * withRollout(flag, 25).fallthrough; // { split: [{ variant: "on", weight: 25 }, { variant: "off", weight: 75 }] }
 */
export function withRollout(flag: Flag, percentage: number, variant?: string): Flag {
  const fail = (path: string, message: string) => new ValidationError(`rollout of flag "${flag.key}"`, [{ path, message }]);
  if (!isValidPercentage(percentage)) throw fail("percentage", `must be from 0 to 100 with at most two decimals, got ${percentage}`);
  const current = rolloutOf(flag)?.variants ?? [];
  const candidates = onVariants(flag);
  const chosen = variant ?? (current.length === 1 ? current[0] : candidates.length === 1 ? candidates[0] : undefined);
  if (chosen === undefined) {
    throw fail("variant", `flag "${flag.key}" has ${candidates.length} variants besides "${flag.offVariant}"; name the one to roll out`);
  }
  if (!Object.hasOwn(flag.variants, chosen) || chosen === flag.offVariant) {
    throw fail("variant", `"${chosen}" is not a variant of flag "${flag.key}" other than its off variant "${flag.offVariant}"`);
  }
  const inside = toHundredths(percentage);
  return {
    ...flag,
    fallthrough: {
      split: [
        { variant: chosen, weight: inside / 100 },
        { variant: flag.offVariant, weight: (POSITION_SCALE - inside) / 100 },
      ],
    },
  };
}

/** `md5("checkout-v2:" + id)` … the routing formula of a flag, as `darklaunch enable` prints it. */
export function routingFormula(flag: Pick<Flag, "key" | "salt" | "bucketBy">, percentage?: number): string {
  const salt = flag.salt ?? flag.key;
  const hashed = salt === "" ? flag.bucketBy : `${JSON.stringify(`${salt}:`)} + ${flag.bucketBy}`;
  const test = percentage === undefined ? "" : ` < ${formatPercentage(percentage)}`;
  return `position = uint32_be(md5(${hashed})[0..4]) % 10000 / 100${test}`;
}

/** 10 → "10", 60.5 → "60.5", 0.01 → "0.01". */
export function formatPercentage(percentage: number): string {
  return String(Math.round(percentage * 100) / 100);
}
