import { type Flag, NEVER_MATCHING_REGEX, NOT_EVALUABLE_RULE, rolloutOf, type Snapshot, validateFlag } from "@darklaunch/core";
import { badFields, ConflictError, DarkLaunchError, NotFoundError, VersionConflictError } from "../errors.js";
import { variantSizeProblems } from "../limits.js";
import type { ConfigTransactions } from "../ruleset/config-transactions.js";
import { assertValidAfter } from "../ruleset/read-ruleset.js";
import type { Stores } from "../store/stores.js";
import { isLaunched, type Launch, launchedFlag, newReleaseFlag } from "./flag-launch.js";
import { applyPatch, type FlagPatch } from "./flag-patch.js";
import { type FlagRecord, flagOf } from "./flag-store.js";

/** What a launch did: created the flag, changed it, or found it launched already. */
export interface LaunchOutcome {
  created: boolean;
  changed: boolean;
  before: FlagRecord | null;
  flag: FlagRecord;
}

export type FlagState = "active" | "enabled" | "disabled" | "archived" | "all";

export interface FlagFilter {
  tag?: string;
  kind?: string;
  state?: FlagState;
  /** True: only flags past their `expiresAt`; false: only flags that are not. */
  stale?: boolean;
}

function inState(flag: FlagRecord, state: FlagState): boolean {
  if (state === "all") return true;
  if (state === "archived") return flag.archived;
  if (flag.archived) return false;
  return state === "active" || flag.enabled === (state === "enabled");
}

/** A flag past its `expiresAt` is stale: the launch is over and the flag should be cleaned up. */
function isStale(flag: Pick<Flag, "expiresAt">, now = Date.now()): boolean {
  return flag.expiresAt !== undefined && Date.parse(flag.expiresAt) <= now;
}

function validated(input: unknown, what: string): Flag {
  const checked = validateFlag(input);
  const tooLarge = variantSizeProblems(input);
  if (!checked.ok || tooLarge.length > 0) throw badFields([...(checked.ok ? [] : checked.problems), ...tooLarge], what);
  return checked.value;
}

/**
 * Flags: every change is one transaction that checks the version, validates the whole resulting
 * ruleset, writes, records the audit entry and bumps the revision — or does none of it.
 */
export class FlagService {
  /** `stores` are bound to the database (reads); writes run in `config` transactions. */
  constructor(
    private readonly stores: Stores,
    private readonly config: ConfigTransactions,
  ) {}

  async list(filter: FlagFilter = {}): Promise<FlagRecord[]> {
    const now = Date.now();
    const state = filter.state ?? "active";
    return (await this.stores.flags.list()).filter((flag) => {
      if (filter.tag !== undefined && !flag.tags.includes(filter.tag)) return false;
      if (filter.kind !== undefined && flag.kind !== filter.kind) return false;
      if (filter.stale !== undefined && isStale(flag, now) !== filter.stale) return false;
      return inState(flag, state);
    });
  }

  /**
   * The flag as compiled in `snapshot`, for routes that evaluate it: 404 when it does not exist,
   * 409 when it is archived (and so not in the snapshot) — `purpose` says what it was wanted for.
   */
  async active(snapshot: Snapshot, key: string, purpose: string): Promise<Flag> {
    const flag = snapshot.flag(key);
    if (flag) return flag;
    await this.get(key);
    throw new ConflictError("IN_USE", `flag "${key}" is archived; unarchive it to ${purpose}`);
  }

  async get(key: string): Promise<FlagRecord> {
    const flag = await this.stores.flags.get(key);
    if (!flag) throw new NotFoundError("flag", key);
    return flag;
  }

  /** Which of `keys` name a flag, archived or not. */
  existing(keys: readonly string[]): Promise<Set<string>> {
    return this.stores.flags.existing(keys);
  }

  async create(input: unknown, actor: string): Promise<FlagRecord> {
    // A new flag starts at version 1 whatever the input says (an exported flag carries its old one).
    const flag = validated(typeof input === "object" && input !== null ? { ...input, version: 1 } : input, "flag");
    assertNoPlaceholderRules(flag, flag.key);
    return this.config.run(async (tx) => {
      if (await tx.flags.get(flag.key))
        throw new ConflictError("ALREADY_EXISTS", `flag "${flag.key}" already exists; change it with PUT or PATCH`);
      await assertValidAfter(tx, `flag "${flag.key}"`, (rs) => ({ ...rs, flags: [...rs.flags, flag] }), flag.key);
      const at = new Date().toISOString();
      await tx.flags.insert(flag, at);
      const record: FlagRecord = { ...flag, archived: false, createdAt: at, updatedAt: at };
      await tx.audit.record({ actor, action: "flag.create", targetType: "flag", targetKey: flag.key, after: record });
      return record;
    });
  }

  /** Replaces a flag with a whole new definition (PUT). */
  replace(key: string, input: unknown, expected: number | undefined, actor: string): Promise<FlagRecord> {
    const flag = validated(typeof input === "object" && input !== null ? { ...input, version: 1 } : input, `flag "${key}"`);
    if (flag.key !== key)
      throw badFields(
        [{ path: "key", message: `is "${flag.key}" but the URL names "${key}"; a flag's key cannot change` }],
        `flag "${key}"`,
      );
    return this.mutate(key, expected, actor, "flag.replace", () => ({ flag, archived: undefined }));
  }

  patch(key: string, patch: FlagPatch, expected: number | undefined, actor: string): Promise<FlagRecord> {
    const action =
      patch.percentage !== undefined
        ? "flag.rollout"
        : patch.enabled === true
          ? "flag.enable"
          : patch.enabled === false
            ? "flag.disable"
            : "flag.patch";
    return this.mutate(key, expected, actor, action, (current) => ({ flag: applyPatch(flagOf(current), patch), archived: undefined }));
  }

  /**
   * Rolls a release flag out to a percentage in one transaction: creates it (audited `flag.create`)
   * when it does not exist, else enables it at the percentage (`flag.rollout`) with its bucketBy or
   * salt changed if asked. A flag already launched exactly so is left alone: nothing is written.
   */
  async launch(key: string, launch: Launch, expected: number | undefined, actor: string): Promise<LaunchOutcome> {
    const seen = await this.stores.flags.get(key);
    if (seen && !seen.archived && (expected === undefined || expected === seen.version) && isLaunched(seen, launch)) {
      return { created: false, changed: false, before: seen, flag: seen };
    }
    if (seen === undefined && expected === undefined) {
      try {
        return { created: true, changed: true, before: null, flag: await this.create(newReleaseFlag(key, launch), actor) };
      } catch (error) {
        // Created by someone else meanwhile: launch that one instead.
        if (!(error instanceof ConflictError && error.code === "ALREADY_EXISTS")) throw error;
      }
    }
    let before: FlagRecord | undefined;
    const flag = await this.mutate(key, expected, actor, "flag.rollout", (current) => {
      before = current;
      if (current.archived) throw new ConflictError("IN_USE", `flag "${key}" is archived; unarchive it to launch it`);
      return { flag: launchedFlag(flagOf(current), launch), archived: undefined };
    });
    return { created: false, changed: true, before: before ?? null, flag };
  }

  /**
   * Changes a flag as a ramp does (`change` gets the current flag, e.g. core `rampFlag`), audited
   * `flag.ramp` by `actor` (`ramp:<id>` for automatic steps) with the flag before and after, and a
   * second entry `note.action` (`ramp.advance` …) carrying why and the verdict, in one transaction.
   */
  rampTo(key: string, change: (flag: Flag) => Flag, actor: string, note: { action: string; after: unknown }): Promise<FlagRecord> {
    return this.mutate(key, undefined, actor, "flag.ramp", (current) => ({ flag: change(flagOf(current)), archived: undefined }), note);
  }

  /** Records a ramp event that changes no flag (a pause, a dismissal, an alert) in the flag's audit log. */
  async noteRamp(key: string, actor: string, note: { action: string; after: unknown }): Promise<void> {
    await this.stores.audit.record({ actor, action: note.action, targetType: "flag", targetKey: key, after: note.after });
  }

  setArchived(key: string, archived: boolean, expected: number | undefined, actor: string): Promise<FlagRecord> {
    return this.mutate(key, expected, actor, archived ? "flag.archive" : "flag.unarchive", (current) => {
      if (current.archived === archived) throw new ConflictError("IN_USE", `flag "${key}" is already ${archived ? "archived" : "active"}`);
      return { flag: flagOf(current), archived };
    });
  }

  async delete(key: string, expected: number | undefined, actor: string): Promise<void> {
    await this.config.run(async (tx) => {
      const current = await this.current(tx, key, expected);
      await assertNotRequired(tx, key, "delete");
      if (!(await tx.flags.delete(key, current.version)))
        throw new VersionConflictError(`flag "${key}"`, expected ?? current.version, current.version + 1);
      await tx.overrides.deleteForFlag(key);
      await tx.audit.record({ actor, action: "flag.delete", targetType: "flag", targetKey: key, before: current });
    });
  }

  private async current(tx: Stores, key: string, expected: number | undefined): Promise<FlagRecord> {
    const current = await tx.flags.get(key);
    if (!current) throw new NotFoundError("flag", key);
    if (expected !== undefined && expected !== current.version) throw new VersionConflictError(`flag "${key}"`, expected, current.version);
    return current;
  }

  private mutate(
    key: string,
    expected: number | undefined,
    actor: string,
    action: string,
    change: (current: FlagRecord) => { flag: Flag; archived: boolean | undefined },
    note?: { action: string; after: unknown },
  ): Promise<FlagRecord> {
    return this.config.run(async (tx) => {
      const current = await this.current(tx, key, expected);
      const changed = change(current);
      const archived = changed.archived ?? current.archived;
      const next = validated({ ...changed.flag, key, version: current.version + 1 }, `flag "${key}"`);
      assertNoPlaceholderRules(next, key);
      if (archived && !current.archived) await assertNotRequired(tx, key, "archive");
      if (!archived) {
        await assertValidAfter(tx, `flag "${key}"`, (rs) => ({ ...rs, flags: [...rs.flags.filter((f) => f.key !== key), next] }), key);
      }
      const at = new Date().toISOString();
      if (!(await tx.flags.update(next, current.version, archived, at))) {
        throw new VersionConflictError(`flag "${key}"`, expected ?? current.version, current.version + 1);
      }
      const record: FlagRecord = { ...next, archived, createdAt: current.createdAt, updatedAt: at };
      await tx.audit.record({ actor, action, targetType: "flag", targetKey: key, before: current, after: record });
      if (note !== undefined) await tx.audit.record({ actor, action: note.action, targetType: "flag", targetKey: key, after: note.after });
      return record;
    });
  }
}

/**
 * A rule read tolerantly (its RE2-rejected regex served as `NEVER_MATCHING_REGEX`, see the flag
 * store) is a placeholder for what is stored: writing it back — a PATCH of another field, a ramp
 * step, an archive, a PUT of the flag as read — would replace the original regex for good. Such a
 * write is refused (409 `NOT_EVALUABLE`), naming each rule and how to fix it; the row is untouched.
 */
function assertNoPlaceholderRules(flag: Flag, key: string): void {
  const rules = flag.rules.filter(
    (rule) =>
      rule.description?.startsWith(`${NOT_EVALUABLE_RULE},`) === true &&
      rule.conditions.some((c) => c.op === "matches" && c.values.includes(NEVER_MATCHING_REGEX)),
  );
  if (rules.length === 0) return;
  const named = rules.map((rule) => `"${rule.id}" (${rule.description})`).join("; ");
  throw new DarkLaunchError(
    "NOT_EVALUABLE",
    409,
    `flag "${key}" cannot be saved: rule${rules.length > 1 ? "s" : ""} ${named} ${rules.length > 1 ? "hold" : "holds"} a regex RE2 rejects, stored before \`matches\` moved to RE2 and served as never matching; saving would replace that regex with the placeholder. First PUT the flag with ${rules.length > 1 ? "these rules'" : "this rule's"} regex rewritten for RE2 (no backreferences or lookaround), or without the rule; then retry`,
    { rules: rules.map((rule) => rule.id) },
  );
}

/** A flag that other active flags require cannot be archived or deleted: they would break. */
async function assertNotRequired(tx: Stores, key: string, verb: string): Promise<void> {
  const dependents = (await tx.flags.list())
    .filter((flag) => !flag.archived && flag.key !== key && flag.prerequisites.some((p) => p.flag === key))
    .map((flag) => flag.key);
  if (dependents.length > 0) {
    throw new ConflictError(
      "IN_USE",
      `cannot ${verb} flag "${key}": flags ${dependents.map((d) => `"${d}"`).join(", ")} require it as a prerequisite`,
      { dependents },
    );
  }
}

/** The rollout percentage of a flag for listings, or undefined when its fallthrough is no single rollout. */
export function percentageOf(flag: Flag): number | undefined {
  return rolloutOf(flag)?.percentage;
}
