import { mergeWindows, type ObservationSource, type ObservationWindow, windowKey } from "@darklaunch/core";
import { sql } from "kysely";
import { atomically } from "../store/atomically.js";
import type { Db, Dialect } from "../store/database.js";
import type { ObservationStore, WindowQuery } from "./observation-store.js";

type WindowRow = { flag_key: string; source: string; route: string; minute: string; data: string };
type WindowData = Pick<ObservationWindow, "baseline" | "dark" | "comparison" | "samples" | "paired">;

/** The window's counts as stored; `paired` only when the window has it (rows of split mode and old reporters have none). */
function toData({ baseline, dark, comparison, samples, paired }: ObservationWindow): string {
  const data: WindowData = { baseline, dark, comparison, samples };
  if (paired !== undefined) data.paired = paired;
  return JSON.stringify(data);
}

function fromRow(row: WindowRow): ObservationWindow {
  const data = JSON.parse(row.data) as WindowData;
  return { flag: row.flag_key, source: row.source as ObservationSource, route: row.route, start: row.minute, ...data };
}

/** Rows per INSERT and per UPDATE: 6 parameters a row keeps a statement far below both databases' limits. */
const ROWS_PER_STATEMENT = 500;
/** Postgres gave up one of two transactions that waited on each other; the work is safe to repeat. */
const DEADLOCK = "40P01";
const ATTEMPTS = 3;

type Key = Pick<WindowRow, "flag_key" | "source" | "route" | "minute">;

function keyOf(w: ObservationWindow): Key {
  return { flag_key: w.flag, source: w.source, route: w.route, minute: w.start };
}

function rowKey(row: Key): string {
  return windowKey({ flag: row.flag_key, source: row.source as ObservationSource, route: row.route, start: row.minute });
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function isDeadlock(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === DEADLOCK;
}

/**
 * Observation windows in the `observation_windows` table, on SQLite or Postgres.
 *
 * A batch is merged in one transaction with a fixed number of statements, whatever its size (the
 * ingest benchmark showed round trips per window, not lock waits, were the cost): one multi-row
 * INSERT … ON CONFLICT DO NOTHING for every window, which creates the new ones; one SELECT of the
 * others' rows (`FOR UPDATE` on Postgres; SQLite runs one write transaction at a time), merged in
 * JavaScript with core's `mergeWindows`; one UPDATE … FROM (VALUES …) writing them back. On
 * Postgres an insert that meets a row another transaction has just inserted waits for that
 * transaction and then skips it, and the SELECT then finds and locks it, so concurrent reports of
 * one window all count. Rows are inserted and locked in key order so that two batches sharing
 * windows meet them in the same order; should Postgres still report a deadlock, the batch is
 * retried (nothing of a rolled-back attempt stays).
 *
 * @example
 * const store = new KyselyObservationStore(database.db, database.dialect);
 * await store.merge(parseObservationBatch(body).windows);
 */
export class KyselyObservationStore implements ObservationStore {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  async merge(windows: readonly ObservationWindow[]): Promise<void> {
    // Windows of one key in the same batch are merged first: a row is then touched once per batch.
    const byKey = new Map<string, ObservationWindow>();
    for (const w of windows) {
      const key = windowKey(w);
      const seen = byKey.get(key);
      byKey.set(key, seen === undefined ? w : mergeWindows(seen, w));
    }
    if (byKey.size === 0) return;
    const ordered = [...byKey.keys()].sort().map((key) => [key, byKey.get(key) as ObservationWindow] as const);
    for (let attempt = 1; ; attempt++) {
      try {
        await atomically(this.db, (trx) => this.mergeOrdered(trx, ordered));
        return;
      } catch (error) {
        if (!isDeadlock(error) || attempt >= ATTEMPTS || this.db.isTransaction) throw error;
      }
    }
  }

  private async mergeOrdered(trx: Db, ordered: ReadonlyArray<readonly [string, ObservationWindow]>): Promise<void> {
    const now = new Date().toISOString();
    const created = new Set<string>();
    for (const part of chunks(ordered, ROWS_PER_STATEMENT)) {
      const rows = await trx
        .insertInto("observation_windows")
        .values(part.map(([, w]) => ({ ...keyOf(w), data: toData(w), updated_at: now })))
        .onConflict((oc) => oc.columns(["flag_key", "source", "route", "minute"]).doNothing())
        .returning(["flag_key", "source", "route", "minute"])
        .execute();
      for (const row of rows) created.add(rowKey(row));
    }
    const existing = ordered.filter(([key]) => !created.has(key));
    for (const part of chunks(existing, ROWS_PER_STATEMENT)) {
      let select = trx
        .selectFrom("observation_windows")
        .select(["flag_key", "source", "route", "minute", "data"])
        .where(({ eb, refTuple, tuple }) =>
          eb(
            refTuple("flag_key", "source", "route", "minute"),
            "in",
            part.map(([, w]) => tuple(w.flag, w.source, w.route, w.start)),
          ),
        )
        .orderBy("flag_key")
        .orderBy("source")
        .orderBy("route")
        .orderBy("minute");
      if (this.dialect === "postgres") select = select.forUpdate();
      const stored = new Map((await select.execute()).map((row) => [rowKey(row), row]));
      const updates = part.map(([key, w]) => {
        const row = stored.get(key);
        // Inserted by nobody and not found: impossible inside one transaction; fail loudly rather than drop counts.
        if (row === undefined) throw new Error(`observation window ${key} vanished during its merge`);
        return sql`(${row.flag_key}, ${row.source}, ${row.route}, ${row.minute}, ${toData(mergeWindows(fromRow(row), w))}, ${now})`;
      });
      await sql`update observation_windows set data = v.column5, updated_at = v.column6
        from (values ${sql.join(updates)}) as v
        where observation_windows.flag_key = v.column1 and observation_windows.source = v.column2
          and observation_windows.route = v.column3 and observation_windows.minute = v.column4`.execute(trx);
    }
  }

  async list(query: WindowQuery): Promise<ObservationWindow[]> {
    let select = this.db
      .selectFrom("observation_windows")
      .select(["flag_key", "source", "route", "minute", "data"])
      .where("flag_key", "=", query.flag)
      .where("minute", ">=", query.since)
      .where("minute", "<", query.until);
    if (query.source !== undefined) select = select.where("source", "=", query.source);
    if (query.route !== undefined) select = select.where("route", "=", query.route);
    const rows = await select.orderBy("minute").orderBy("source").orderBy("route").execute();
    return rows.map(fromRow);
  }

  async prune(before: string): Promise<number> {
    const result = await this.db.deleteFrom("observation_windows").where("minute", "<", before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
