import type { Override, Ruleset, SdkDelete, SdkPatch } from "@darklaunch/core";

function byFlag(overrides: Override[]): Map<string, Override[]> {
  const groups = new Map<string, Override[]>();
  for (const override of overrides) {
    const group = groups.get(override.flag);
    if (group) group.push(override);
    else groups.set(override.flag, [override]);
  }
  return groups;
}

function changedByVersion<T extends { key: string; version: number }>(before: T[], after: T[]): { changed: T[]; removed: string[] } {
  const old = new Map(before.map((item) => [item.key, item.version]));
  const keys = new Set(after.map((item) => item.key));
  return {
    changed: after.filter((item) => old.get(item.key) !== item.version),
    removed: before.filter((item) => !keys.has(item.key)).map((item) => item.key),
  };
}

/**
 * What changed from `before` to `after`: flags and segments by version (every write bumps it), the
 * overrides of each flag by content. Overrides of a flag that is gone go with it, unsaid.
 *
 * @example
 * const { patch, remove } = diffRulesets(previous.ruleset, next.ruleset, next.revision);
 */
export function diffRulesets(before: Ruleset, after: Ruleset, revision: number): { patch: SdkPatch; remove: SdkDelete | undefined } {
  const flags = changedByVersion(before.flags, after.flags);
  const segments = changedByVersion(before.segments, after.segments);
  const oldOverrides = byFlag(before.overrides);
  const newOverrides = byFlag(after.overrides);
  const overrides: { flag: string; overrides: Override[] }[] = [];
  for (const flag of after.flags) {
    const next = newOverrides.get(flag.key) ?? [];
    const previous = oldOverrides.get(flag.key) ?? [];
    if (JSON.stringify(next) !== JSON.stringify(previous)) overrides.push({ flag: flag.key, overrides: next });
  }
  const patch: SdkPatch = { revision };
  if (flags.changed.length > 0) patch.flags = flags.changed;
  if (segments.changed.length > 0) patch.segments = segments.changed;
  if (overrides.length > 0) patch.overrides = overrides;
  let remove: SdkDelete | undefined;
  if (flags.removed.length > 0 || segments.removed.length > 0) {
    remove = { revision };
    if (flags.removed.length > 0) remove.flags = flags.removed;
    if (segments.removed.length > 0) remove.segments = segments.removed;
  }
  return { patch, remove };
}
