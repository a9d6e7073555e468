import { sql } from "kysely";
import type { Db } from "./database.js";

/**
 * Every configuration write bumps the revision in its own transaction, so the revision names one
 * exact state of flags, segments and overrides: snapshots are cached by it and ETags derive from it.
 */
export async function bumpRevision(trx: Db): Promise<void> {
  await trx.updateTable("meta").set({ value: sql`value + 1` }).where("name", "=", "revision").execute();
}

export async function currentRevision(db: Db): Promise<number> {
  const row = await db.selectFrom("meta").select("value").where("name", "=", "revision").executeTakeFirstOrThrow();
  return Number(row.value);
}
