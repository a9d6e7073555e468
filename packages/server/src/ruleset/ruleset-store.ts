import { compile, type Flag, type Override, type Ruleset, type Segment, type Snapshot, validateRuleset } from "@darklaunch/core";
import { badFields } from "../errors.js";
import { announceChangeInTransaction, announceCommittedChange } from "../sdk/change-notice.js";
import type { Database, Db } from "../store/database.js";
import { bumpRevision, currentRevision } from "../store/revision.js";

/** Everything evaluation needs, read in one transaction so that it is one consistent state. */
export async function loadRuleset(database: Database): Promise<{ revision: number; ruleset: Ruleset }> {
  let tx = database.db.transaction();
  // Postgres' default (read committed) would let statements see different commits.
  if (database.dialect === "postgres") tx = tx.setIsolationLevel("repeatable read");
  return tx.execute(async (trx) => {
    const revision = await currentRevision(trx);
    return { revision, ruleset: await readRuleset(trx) };
  });
}

/**
 * Reads flags (not archived), segments and overrides. `ids: false` leaves segment id lists empty,
 * for validation, which needs to know segments exist but not whom they hold.
 */
export async function readRuleset(db: Db, options: { ids?: boolean } = {}): Promise<Ruleset> {
  const flagRows = await db.selectFrom("flags").select(["data", "version"]).where("archived", "=", 0).orderBy("key").execute();
  const segmentRows = await db.selectFrom("segments").selectAll().orderBy("key").execute();
  const idRows = options.ids === false ? [] : await db.selectFrom("segment_ids").select(["segment_key", "subject"]).execute();
  const overrideRows = await db.selectFrom("overrides").selectAll().orderBy("flag").orderBy("subject").execute();
  const ids = new Map<string, string[]>();
  for (const row of idRows) {
    const list = ids.get(row.segment_key);
    if (list) list.push(row.subject);
    else ids.set(row.segment_key, [row.subject]);
  }
  const flags = flagRows.map((row) => ({ ...(JSON.parse(row.data) as Flag), version: Number(row.version) }));
  const segments: Segment[] = segmentRows.map((row) => ({
    key: row.key,
    description: row.description,
    conditions: JSON.parse(row.conditions),
    ids: ids.get(row.key) ?? [],
    version: Number(row.version),
  }));
  // Overrides of archived flags stay stored (unarchiving restores them) but are not part of the ruleset.
  const active = new Set(flags.map((flag) => flag.key));
  const overrides: Override[] = overrideRows
    .filter((row) => active.has(row.flag))
    .map((row) => ({
      flag: row.flag,
      subject: row.subject,
      source: row.source as Override["source"],
      ...(row.variant === null ? {} : { variant: row.variant }),
    }));
  return { flags, segments, overrides };
}

export interface CompiledRuleset {
  revision: number;
  ruleset: Ruleset;
  snapshot: Snapshot;
}

/**
 * The compiled ruleset of the current revision. Reading the revision is one indexed row; the whole
 * ruleset is loaded and compiled again only after a write, and concurrent callers share one load.
 */
export class RulesetCache {
  private current: CompiledRuleset | undefined;
  private loading: Promise<CompiledRuleset> | undefined;
  private loadingFor = -1;

  /** `now` is the clock schedules are evaluated against (default `Date.now`). */
  constructor(
    private readonly database: Database,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<CompiledRuleset> {
    const revision = await currentRevision(this.database.db);
    if (this.current?.revision === revision) return this.current;
    // A load started for an older revision may not see this one: it is not shared, a newer one starts.
    if (!this.loading || this.loadingFor < revision) {
      this.loadingFor = revision;
      const loading = loadRuleset(this.database)
        .then(({ revision: loaded, ruleset }) => {
          const next = { revision: loaded, ruleset, snapshot: compile(ruleset, { now: this.now }) };
          if (!this.current || loaded >= this.current.revision) this.current = next;
          return next;
        })
        .finally(() => {
          if (this.loading === loading) this.loading = undefined;
        });
      this.loading = loading;
    }
    return this.loading;
  }
}

/**
 * Runs a configuration write. It first bumps the revision, which takes that row's lock: config
 * writes are serialized across all replicas, so each one validates against the state it changes.
 * Any error rolls everything back, revision included.
 */
export async function configTransaction<T>(database: Database, write: (trx: Db) => Promise<T>): Promise<T> {
  const result = await database.db.transaction().execute(async (trx) => {
    await bumpRevision(trx);
    // Postgres delivers the NOTIFY at commit, to every replica's SDK streams; a rollback drops it.
    await announceChangeInTransaction(trx, database);
    return write(trx);
  });
  announceCommittedChange(database);
  return result;
}

/**
 * Checks that the ruleset after an edit is still valid as a whole (prerequisites, segments in use,
 * overrides' variants), and throws a 400 naming every problem otherwise.
 */
export async function assertValidAfter(trx: Db, what: string, edit: (ruleset: Ruleset) => Ruleset, focusFlag?: string): Promise<void> {
  const next = edit(await readRuleset(trx, { ids: false }));
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
