import { type Problem, ValidationError } from "../errors.js";
import type { Flag } from "../flag-schema.js";
import { rolloutOf, withRollout } from "../rollout.js";
import { onVariants } from "../validate.js";
import type { RampPlan } from "./ramp-plan.js";
import type { RampTarget } from "./ramp-state.js";

/**
 * The variants a ramp moves. A flag with a variant whose value is `"dark"` is a stable/shadow/dark
 * flag, read as the proxy reads it: the serve phase rolls out the `"dark"` variant, the shadow phase
 * the variant whose value is `"shadow"` (or `true`). Any other flag is a release flag with one
 * variant besides its off variant (`true` for a boolean flag), rolled out in the serve phase.
 */
interface RampVariants {
  serve: string;
  shadow?: string;
}

function rampVariants(flag: Pick<Flag, "variants" | "offVariant">): RampVariants | string {
  const on = onVariants(flag);
  const dark = on.find((name) => flag.variants[name] === "dark");
  if (dark !== undefined) {
    const shadow = on.find((name) => flag.variants[name] === "shadow" || flag.variants[name] === true);
    return shadow === undefined ? { serve: dark } : { serve: dark, shadow };
  }
  const [only] = on;
  if (on.length === 1 && only !== undefined) return { serve: only };
  return `a ramp moves a flag with one variant besides "${flag.offVariant}" (a release flag) or one whose variants have the values "stable", "shadow" and "dark"; this one has ${on.length} other variants and none is "dark"`;
}

/**
 * Why a plan cannot ramp a flag (empty when it can): the flag's shape, and a shadow phase on a
 * flag that has no shadow variant (on a release flag "on" cannot mean both mirror and serve).
 */
export function rampFlagProblems(flag: Pick<Flag, "variants" | "offVariant">, plan: RampPlan): Problem[] {
  const variants = rampVariants(flag);
  if (typeof variants === "string") return [{ path: "flag", message: variants }];
  if (plan.shadowSteps.length > 0 && variants.shadow === undefined) {
    return [
      {
        path: "shadowSteps",
        message: `a shadow phase needs a flag with a variant whose value is "shadow" besides "dark"; remove shadowSteps to ramp this flag by serving only`,
      },
    ];
  }
  return [];
}

/**
 * The flag as a ramp step sets it: its fallthrough becomes `[{variant, p}, {off, 100 − p}]` through
 * `withRollout`, so a subject included at 5 % stays included at 25 %, and a subject mirrored in
 * the shadow phase is among the first served from dark. Rules, overrides and `enabled` are left as
 * they are. Throws a `ValidationError` when `rampFlagProblems` has problems for the target's phase.
 *
 * @example
 * rampFlag(flag, { phase: "serve", percentage: 25 }).fallthrough;
 * // { split: [{ variant: "dark", weight: 25 }, { variant: "stable", weight: 75 }] }
 */
export function rampFlag(flag: Flag, target: RampTarget): Flag {
  const variants = rampVariants(flag);
  if (typeof variants === "string") throw new ValidationError(`ramp of flag "${flag.key}"`, [{ path: "flag", message: variants }]);
  const variant = target.phase === "serve" ? variants.serve : variants.shadow;
  if (variant === undefined) {
    throw new ValidationError(`ramp of flag "${flag.key}"`, [
      { path: "phase", message: `flag "${flag.key}" has no variant whose value is "shadow" to mirror with` },
    ]);
  }
  return withRollout(flag, target.percentage, variant);
}

/**
 * What a flag does now, read back as a ramp target (`rolloutOf`): the server compares it with the
 * ramp's target to tell a person's change from the ramp's own. Undefined when the fallthrough is
 * no single rollout of a variant a ramp moves. A disabled flag serves nobody: 0 %.
 */
export function rampTargetOf(flag: Pick<Flag, "variants" | "offVariant" | "fallthrough" | "enabled">): RampTarget | undefined {
  const variants = rampVariants(flag);
  const rollout = rolloutOf(flag);
  if (typeof variants === "string" || rollout === undefined) return undefined;
  if (!flag.enabled || rollout.percentage === 0) return { phase: "serve", percentage: 0 };
  const [variant] = rollout.variants;
  if (rollout.variants.length !== 1) return undefined;
  if (variant === variants.serve) return { phase: "serve", percentage: rollout.percentage };
  if (variant === variants.shadow) return { phase: "shadow", percentage: rollout.percentage };
  return undefined;
}

/**
 * The variant a ramp serves (the dark arm of a flag's business metrics): the variant whose value
 * is `"dark"`, or a release flag's one variant besides off. Undefined for any other flag.
 */
export function rampServeVariant(flag: Pick<Flag, "variants" | "offVariant">): string | undefined {
  const variants = rampVariants(flag);
  return typeof variants === "string" ? undefined : variants.serve;
}
