import { type Flag, type LaunchRequestSchema, rolloutOf, withRollout } from "@darklaunch/core";
import type { z } from "zod";
import { badField } from "../errors.js";

export type Launch = z.output<typeof LaunchRequestSchema>;

/** The variant every excluded subject of a release flag gets. */
const OFF = "off";

/**
 * What a release flag created by a launch looks like: an "on" variant (`true`) rolled out to the
 * percentage, everyone else `off` (`false`), bucketed by `id` and salted with its key unless the
 * launch says otherwise. The server owns this shape so that every client creates the same flag.
 */
export function newReleaseFlag(key: string, launch: Launch): Flag {
  const on = launch.variant ?? "on";
  if (on === OFF)
    throw badField("variant", `cannot be "${OFF}": that is the variant every excluded subject gets`, `launch of flag "${key}"`);
  const base: Flag = {
    key,
    description: "",
    owner: "",
    kind: "release",
    variants: { [on]: true, [OFF]: false },
    offVariant: OFF,
    enabled: true,
    rules: [],
    fallthrough: { variant: OFF },
    prerequisites: [],
    bucketBy: launch.bucketBy ?? "id",
    tags: [],
    version: 1,
    ...(launch.salt === undefined ? {} : { salt: launch.salt }),
  };
  return withRollout(base, launch.percentage, on);
}

/** An existing flag launched: enabled, rolled out to the percentage, with a new bucketBy or salt if given. */
export function launchedFlag(flag: Flag, launch: Launch): Flag {
  const next: Flag = { ...flag, enabled: true };
  if (launch.bucketBy !== undefined) next.bucketBy = launch.bucketBy;
  if (launch.salt !== undefined) next.salt = launch.salt;
  return withRollout(next, launch.percentage, launch.variant);
}

/** True when the flag is already launched exactly as asked, so the launch writes nothing. */
export function isLaunched(flag: Flag, launch: Launch): boolean {
  const rollout = rolloutOf(flag);
  return (
    flag.enabled &&
    rollout !== undefined &&
    rollout.percentage === launch.percentage &&
    (launch.variant === undefined || rollout.variants.join() === launch.variant) &&
    (launch.bucketBy === undefined || launch.bucketBy === flag.bucketBy) &&
    (launch.salt === undefined || launch.salt === (flag.salt ?? flag.key))
  );
}
