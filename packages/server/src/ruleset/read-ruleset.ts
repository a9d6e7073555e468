import { type Override, type Ruleset, validateRuleset } from "@darklaunch/core";
import { badFields } from "../errors.js";
import { flagOf } from "../flags/flag-store.js";
import type { Stores } from "../store/stores.js";

/**
 * Reads flags (not archived), segments and overrides through their stores. `ids: false` leaves
 * segment id lists empty, for validation, which needs to know segments exist but not whom they hold.
 */
export async function readRuleset(stores: Stores, options: { ids?: boolean } = {}): Promise<Ruleset> {
  const flags = (await stores.flags.listActive()).map(flagOf);
  const segments = await stores.segments.listForRuleset({ ids: options.ids !== false });
  // Overrides of archived flags stay stored (unarchiving restores them) but are not part of the ruleset.
  const active = new Set(flags.map((flag) => flag.key));
  const overrides: Override[] = (await stores.overrides.listAll()).filter((o) => active.has(o.flag));
  return { flags, segments, overrides };
}

/**
 * Checks that the ruleset after an edit is still valid as a whole (prerequisites, segments in use,
 * overrides' variants), and throws a 400 naming every problem otherwise.
 */
export async function assertValidAfter(
  stores: Stores,
  what: string,
  edit: (ruleset: Ruleset) => Ruleset,
  focusFlag?: string,
): Promise<void> {
  const next = edit(await readRuleset(stores, { ids: false }));
  const checked = validateRuleset(next);
  if (checked.ok) return;
  // Problems of the flag being written are shown at its own paths (`rules[0]…`), as for validateFlag.
  const index = focusFlag === undefined ? -1 : next.flags.findIndex((flag) => flag.key === focusFlag);
  const prefix = `flags[${index}].`;
  throw badFields(
    checked.problems.map((p) => (index >= 0 && p.path.startsWith(prefix) ? { ...p, path: p.path.slice(prefix.length) } : p)),
    what,
  );
}
