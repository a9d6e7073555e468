import { type Flag, IsoDateSchema, KeySchema, PercentageSchema, withRollout } from "@darklaunch/core";
import { z } from "zod";

/**
 * A partial change to a flag. Fields apply in this order: plain fields, rules removed, rules added,
 * then the rollout percentage (of the fallthrough split, DESIGN §3.2).
 */
export const FlagPatchSchema = z.strictObject({
  version: z.number().int().min(1).optional(),
  enabled: z.boolean().optional(),
  percentage: PercentageSchema.optional(),
  /** The variant a `percentage` rolls out (default: the one already rolled out, or the only non-off one). */
  variant: KeySchema.optional(),
  description: z.string().max(4096).optional(),
  owner: z.string().max(256).optional(),
  tags: z.array(z.string().min(1).max(64)).max(100).optional(),
  expiresAt: IsoDateSchema.nullable().optional(),
  /** A rule to append (validated with the whole flag). */
  addRule: z.unknown().optional(),
  /** The id of a rule to remove. */
  removeRule: KeySchema.optional(),
});

export type FlagPatch = z.output<typeof FlagPatchSchema>;

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
  if (patch.percentage !== undefined) next = withRollout(next, patch.percentage, patch.variant);
  return next;
}
