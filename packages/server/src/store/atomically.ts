import type { Db } from "./database.js";

/**
 * Runs `work` in a transaction of its own, or in the one `db` already is: a store bound to a
 * transaction joins it (Kysely cannot nest them), one bound to the database starts one.
 */
export function atomically<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}
