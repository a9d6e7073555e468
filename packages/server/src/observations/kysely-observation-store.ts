import { mergeWindows, type ObservationSource, type ObservationWindow, windowKey } from "@darklaunch/core";
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

/**
 * Observation windows in the `observation_windows` table, on SQLite or Postgres.
 *
 * A merge first tries to insert each window; when its row exists it locks that row (`FOR UPDATE` on
 * Postgres; SQLite runs one write transaction at a time), merges in JavaScript with core's
 * `mergeWindows` and writes the result back. On Postgres an insert that meets a row another
 * transaction has just inserted waits for that transaction and then finds the row, so concurrent
 * reports of one window all count. Windows are written in key order, so two batches sharing windows
 * lock them in the same order and cannot deadlock.
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
    const ordered = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, w]) => w);
    if (ordered.length === 0) return;
    const forUpdate = this.dialect === "postgres";
    await atomically(this.db, async (trx) => {
      const now = new Date().toISOString();
      for (const w of ordered) {
        const key = { flag_key: w.flag, source: w.source, route: w.route, minute: w.start };
        const inserted = await trx
          .insertInto("observation_windows")
          .values({ ...key, data: toData(w), updated_at: now })
          .onConflict((oc) => oc.columns(["flag_key", "source", "route", "minute"]).doNothing())
          .returning("flag_key")
          .executeTakeFirst();
        if (inserted !== undefined) continue;
        let select = trx
          .selectFrom("observation_windows")
          .select(["flag_key", "source", "route", "minute", "data"])
          .where("flag_key", "=", key.flag_key)
          .where("source", "=", key.source)
          .where("route", "=", key.route)
          .where("minute", "=", key.minute);
        if (forUpdate) select = select.forUpdate();
        const row = await select.executeTakeFirstOrThrow();
        const merged = mergeWindows(fromRow(row), w);
        await trx
          .updateTable("observation_windows")
          .set({ data: toData(merged), updated_at: now })
          .where("flag_key", "=", key.flag_key)
          .where("source", "=", key.source)
          .where("route", "=", key.route)
          .where("minute", "=", key.minute)
          .execute();
      }
    });
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
