import { type Flag, formatPercentage, type LaunchRequestSchema, rolloutOf, type Serve, withRollout } from "@darklaunch/core";
import type { z } from "zod";
import { badField } from "../errors.js";

export type Launch = z.output<typeof LaunchRequestSchema>;
type SplitEntry = NonNullable<Launch["split"]>[number];

/** The variant every excluded subject of a release flag gets. */
const OFF = "off";

/**
 * What a flag created by a launch looks like. With a percentage: a release flag with an "on"
 * variant (`true`) rolled out to the percentage, everyone else `off` (`false`). With a split: one
 * string variant per entry (its value is its name, as the proxy reads `"stable"`, `"shadow"` and
 * `"dark"`), the first entry as the off variant, served in the split's order. Both bucket by `id`
 * and salt with the key unless the launch says otherwise. The server owns this shape so that every
 * client creates the same flag.
 */
export function newReleaseFlag(key: string, launch: Launch): Flag {
  const base: Omit<Flag, "variants" | "offVariant" | "fallthrough"> = {
    key,
    description: "",
    owner: "",
    kind: "release",
    enabled: true,
    rules: [],
    prerequisites: [],
    bucketBy: launch.bucketBy ?? "id",
    tags: [],
    version: 1,
    ...(launch.salt === undefined ? {} : { salt: launch.salt }),
  };
  if (launch.split !== undefined) {
    const names = launch.split.map((entry) => entry.variant);
    return {
      ...base,
      variants: Object.fromEntries(names.map((name) => [name, name])),
      offVariant: names[0] as string,
      fallthrough: { split: launch.split },
    };
  }
  const on = launch.variant ?? "on";
  if (on === OFF)
    throw badField("variant", `cannot be "${OFF}": that is the variant every excluded subject gets`, `launch of flag "${key}"`);
  return withRollout(
    { ...base, variants: { [on]: true, [OFF]: false }, offVariant: OFF, fallthrough: { variant: OFF } },
    percentageOf(launch),
    on,
  );
}

/**
 * An existing flag launched: enabled, rolled out to the percentage (or given the whole split), with
 * a new bucketBy or salt if given.
 */
export function launchedFlag(flag: Flag, launch: Launch): Flag {
  const next: Flag = { ...flag, enabled: true };
  if (launch.bucketBy !== undefined) next.bucketBy = launch.bucketBy;
  if (launch.salt !== undefined) next.salt = launch.salt;
  if (launch.split !== undefined) {
    const unknown = launch.split.filter((entry) => !Object.hasOwn(flag.variants, entry.variant)).map((entry) => `"${entry.variant}"`);
    if (unknown.length > 0)
      throw badField(
        "split",
        `${unknown.join(", ")} ${unknown.length === 1 ? "is not a variant" : "are not variants"} of flag "${flag.key}" (its variants: ${Object.keys(flag.variants).join(", ")})`,
        `launch of flag "${flag.key}"`,
      );
    return { ...next, fallthrough: { split: launch.split } };
  }
  return withRollout(next, percentageOf(launch), assertTwoWaySplit(flag, launch.variant, "percentage"));
}

/**
 * Refuses a percentage on a flag whose fallthrough gives a share to a variant besides its off
 * variant and the one being rolled out: rewriting such a split to `[variant p, off 100 − p]` would
 * silently drop the others' shares (stable 50 / shadow 40 / dark 10 → dark 20 / stable 80). The
 * message shows the current split and the command that sets a whole split instead. Returns the
 * variant the percentage applies to (the one already served when none is named). Rescaling the
 * others in proportion was the alternative; it was not chosen because it moves subjects between
 * variants nobody named.
 */
export function assertTwoWaySplit(flag: Flag, variant: string | undefined, path: string): string | undefined {
  // A variant the flag does not have (or its off variant) is refused by withRollout, by name.
  if (variant !== undefined && (!Object.hasOwn(flag.variants, variant) || variant === flag.offVariant)) return variant;
  const shares = sharesOf(flag.fallthrough);
  const others = shares.filter((entry) => entry.variant !== flag.offVariant && entry.variant !== variant && entry.weight > 0);
  if (others.length === 0) return variant;
  // Without a variant named, the one variant already served besides off is the one that changes.
  if (variant === undefined && others.length === 1) return others[0]?.variant;
  const current = describeSplit(shares);
  throw badField(
    path,
    `flag "${flag.key}" splits its traffic ${current}; a percentage changes a two-way split only and would drop the other variants' shares; set every variant's share instead, e.g. darklaunch enable ${flag.key} --split ${shares.map((e) => `${e.variant}=${formatPercentage(e.weight)}`).join(",")} (API: PUT /api/v1/flags/${flag.key}/launch with "split")`,
    `launch of flag "${flag.key}"`,
  );
}

/** `stable 50% / shadow 40% / dark 10%`: a fallthrough as errors show it (and the CLI's audit). */
export function describeSplit(shares: SplitEntry[]): string {
  return shares.map((entry) => `${entry.variant} ${formatPercentage(entry.weight)}%`).join(" / ");
}

function sharesOf(serve: Serve): SplitEntry[] {
  return serve.split ?? (serve.variant === undefined ? [] : [{ variant: serve.variant, weight: 100 }]);
}

function percentageOf(launch: Launch): number {
  // The request schema admits exactly one of percentage and split.
  return launch.percentage ?? 0;
}

/** True when the flag is already launched exactly as asked, so the launch writes nothing. */
export function isLaunched(flag: Flag, launch: Launch): boolean {
  const same =
    flag.enabled &&
    (launch.bucketBy === undefined || launch.bucketBy === flag.bucketBy) &&
    (launch.salt === undefined || launch.salt === (flag.salt ?? flag.key));
  if (!same) return false;
  if (launch.split !== undefined) return JSON.stringify(flag.fallthrough) === JSON.stringify({ split: launch.split });
  const rollout = rolloutOf(flag);
  return (
    rollout !== undefined &&
    rollout.percentage === launch.percentage &&
    (launch.variant === undefined || rollout.variants.join() === launch.variant)
  );
}
