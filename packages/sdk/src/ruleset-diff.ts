import type { Flag, Override, Ruleset, Segment } from "@darklaunch/core";

/**
 * The keys of flags whose answers may differ between two rulesets: flags added, removed or edited,
 * flags whose overrides changed, flags that test a changed segment, and flags that depend on any of
 * those through prerequisites.
 */
export function changedFlags(before: Ruleset | undefined, after: Ruleset): string[] {
  const changed = new Set<string>();
  const old = new Map((before?.flags ?? []).map((f) => [f.key, f]));
  const next = new Map(after.flags.map((f) => [f.key, f]));
  for (const [key, flag] of next) if (!same(old.get(key), flag)) changed.add(key);
  for (const key of old.keys()) if (!next.has(key)) changed.add(key);

  const oldOverrides = overridesByFlag(before?.overrides ?? []);
  const nextOverrides = overridesByFlag(after.overrides);
  for (const key of new Set([...oldOverrides.keys(), ...nextOverrides.keys()])) {
    if (oldOverrides.get(key) !== nextOverrides.get(key)) changed.add(key);
  }

  const oldSegments = new Map((before?.segments ?? []).map((s) => [s.key, s]));
  const changedSegments = new Set<string>();
  for (const segment of after.segments) if (!same(oldSegments.get(segment.key), segment)) changedSegments.add(segment.key);
  for (const key of oldSegments.keys()) if (!after.segments.some((s) => s.key === key)) changedSegments.add(key);
  if (changedSegments.size > 0) {
    for (const flag of after.flags) if (segmentsOf(flag).some((s) => changedSegments.has(s))) changed.add(flag.key);
  }

  // Prerequisites: a flag that requires a changed flag may answer differently too.
  let grew = changed.size > 0;
  while (grew) {
    grew = false;
    for (const flag of after.flags) {
      if (!changed.has(flag.key) && flag.prerequisites.some((p) => changed.has(p.flag))) {
        changed.add(flag.key);
        grew = true;
      }
    }
  }
  return [...changed].sort();
}

function same(a: Flag | Segment | undefined, b: Flag | Segment): boolean {
  return a !== undefined && (a === b || JSON.stringify(a) === JSON.stringify(b));
}

function overridesByFlag(overrides: Override[]): Map<string, string> {
  const grouped = new Map<string, Override[]>();
  for (const o of overrides) {
    const list = grouped.get(o.flag);
    if (list) list.push(o);
    else grouped.set(o.flag, [o]);
  }
  const out = new Map<string, string>();
  for (const [flag, list] of grouped) {
    out.set(flag, JSON.stringify(list.map((o) => [o.subject, o.variant, o.source]).sort()));
  }
  return out;
}

function segmentsOf(flag: Flag): string[] {
  const keys: string[] = [];
  for (const rule of flag.rules) {
    for (const condition of rule.conditions) if (condition.op === "inSegment") keys.push(...condition.values.map(String));
  }
  return keys;
}
