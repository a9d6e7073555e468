import { type Flag, type FlagPatch, withRollout } from "@darklaunch/core";
import { assertTwoWaySplit } from "./flag-launch.js";

// The patch's schema is part of the API contract, so it lives in core's protocol module.
export { type FlagPatch, FlagPatchSchema } from "@darklaunch/core";

/** Applies a patch; the result is validated by the caller like any other new flag. */
export function applyPatch(flag: Flag, patch: FlagPatch): Flag {
  let next: Flag = { ...flag };
  if (patch.enabled !== undefined) next.enabled = patch.enabled;
  if (patch.description !== undefined) next.description = patch.description;
  if (patch.owner !== undefined) next.owner = patch.owner;
  if (patch.tags !== undefined) next.tags = patch.tags;
  if (patch.expiresAt === null) delete next.expiresAt;
  else if (patch.expiresAt !== undefined) next.expiresAt = patch.expiresAt;
  if (patch.removeRule !== undefined) next.rules = next.rules.filter((rule) => rule.id !== patch.removeRule);
  if (patch.addRule !== undefined) next.rules = [...next.rules, patch.addRule as Flag["rules"][number]];
  if (patch.percentage !== undefined) next = withRollout(next, patch.percentage, assertTwoWaySplit(next, patch.variant, "percentage"));
  return next;
}
