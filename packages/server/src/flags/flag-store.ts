import { type Flag, parseFlag } from "@darklaunch/core";
import type { Db } from "../store/database.js";

/** A flag as the API shows it: the flag itself plus its lifecycle fields. */
export interface FlagRecord extends Flag {
  archived: boolean;
  createdAt: string;
  updatedAt: string;
}

type FlagRow = { key: string; version: number; archived: number; data: string; created_at: string; updated_at: string };

function fromRow(row: FlagRow): FlagRecord {
  // Stored flags were validated on the way in; parsing again fills defaults added by later versions.
  const flag = parseFlag(JSON.parse(row.data));
  return {
    ...flag,
    version: Number(row.version),
    archived: Number(row.archived) === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The flag part of a record, as stored in `data` and served in snapshots. */
export function flagOf({ archived: _a, createdAt: _c, updatedAt: _u, ...flag }: FlagRecord): Flag {
  return flag;
}

export async function getFlag(db: Db, key: string): Promise<FlagRecord | undefined> {
  const row = await db.selectFrom("flags").selectAll().where("key", "=", key).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function listFlags(db: Db): Promise<FlagRecord[]> {
  const rows = await db.selectFrom("flags").selectAll().orderBy("key").execute();
  return rows.map(fromRow);
}

export async function insertFlag(trx: Db, flag: Flag, at: string): Promise<void> {
  await trx
    .insertInto("flags")
    .values({ key: flag.key, version: flag.version, archived: 0, data: JSON.stringify(flag), created_at: at, updated_at: at })
    .execute();
}

/**
 * Writes `next` over the stored flag only if the stored version is still `expected`: the check and
 * the write are one statement, so of two concurrent writers exactly one wins.
 */
export async function updateFlag(trx: Db, next: Flag, expected: number, archived: boolean, at: string): Promise<boolean> {
  const result = await trx
    .updateTable("flags")
    .set({ version: next.version, archived: archived ? 1 : 0, data: JSON.stringify(next), updated_at: at })
    .where("key", "=", next.key)
    .where("version", "=", expected)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteFlag(trx: Db, key: string, expected: number): Promise<boolean> {
  const result = await trx.deleteFrom("flags").where("key", "=", key).where("version", "=", expected).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
