import type { Condition } from "@darklaunch/core";
import { sql } from "kysely";
import type { Database, Db } from "../store/database.js";

/** A segment as the API shows it: its id list is only counted here and paged through separately. */
export interface SegmentRecord {
  key: string;
  description: string;
  conditions: Condition[];
  version: number;
  idCount: number;
  createdAt: string;
  updatedAt: string;
}

type SegmentRow = { key: string; version: number; description: string; conditions: string; created_at: string; updated_at: string };

/**
 * Rows per insert or delete statement on SQLite. Each row binds two parameters and SQLite allows
 * at most 32 766 per statement; 5 000 rows keep well under that and still make few statements.
 */
const SQLITE_CHUNK = 5_000;

function fromRow(row: SegmentRow, idCount: number): SegmentRecord {
  return {
    key: row.key,
    description: row.description,
    conditions: JSON.parse(row.conditions),
    version: Number(row.version),
    idCount,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function countIds(db: Db, key: string): Promise<number> {
  const row = await db
    .selectFrom("segment_ids")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("segment_key", "=", key)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function getSegment(db: Db, key: string): Promise<SegmentRecord | undefined> {
  const row = await db.selectFrom("segments").selectAll().where("key", "=", key).executeTakeFirst();
  return row ? fromRow(row, await countIds(db, key)) : undefined;
}

export async function listSegments(db: Db): Promise<SegmentRecord[]> {
  const rows = await db.selectFrom("segments").selectAll().orderBy("key").execute();
  const counts = await db
    .selectFrom("segment_ids")
    .select(["segment_key", (eb) => eb.fn.countAll().as("n")])
    .groupBy("segment_key")
    .execute();
  const byKey = new Map(counts.map((c) => [c.segment_key, Number(c.n)]));
  return rows.map((row) => fromRow(row, byKey.get(row.key) ?? 0));
}

/** One page of a segment's ids, ordered by subject, starting after `cursor`. */
export async function listIds(db: Db, key: string, cursor: string | undefined, limit: number): Promise<string[]> {
  let query = db.selectFrom("segment_ids").select("subject").where("segment_key", "=", key).orderBy("subject").limit(limit);
  if (cursor !== undefined) query = query.where("subject", ">", cursor);
  return (await query.execute()).map((row) => row.subject);
}

export interface SegmentWrite {
  key: string;
  description: string;
  conditions: Condition[];
  version: number;
}

export async function insertSegment(trx: Db, segment: SegmentWrite, at: string): Promise<void> {
  await trx
    .insertInto("segments")
    .values({
      key: segment.key,
      version: segment.version,
      description: segment.description,
      conditions: JSON.stringify(segment.conditions),
      created_at: at,
      updated_at: at,
    })
    .execute();
}

/** Writes `next` only if the stored version is still `expected` (check and write in one statement). */
export async function updateSegment(trx: Db, next: SegmentWrite, expected: number, at: string): Promise<boolean> {
  const result = await trx
    .updateTable("segments")
    .set({ version: next.version, description: next.description, conditions: JSON.stringify(next.conditions), updated_at: at })
    .where("key", "=", next.key)
    .where("version", "=", expected)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteSegment(trx: Db, key: string, expected: number): Promise<boolean> {
  await trx.deleteFrom("segment_ids").where("segment_key", "=", key).execute();
  const result = await trx.deleteFrom("segments").where("key", "=", key).where("version", "=", expected).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Adds ids to a segment; ids already there are skipped. Returns how many were new. Postgres takes
 * the whole list as one array parameter (`unnest`); SQLite gets chunks under its parameter limit.
 */
export async function addIds(trx: Db, dialect: Database["dialect"], key: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  if (dialect === "postgres") {
    const result = await sql`insert into segment_ids (segment_key, subject)
      select ${key}::text, unnest(${ids}::text[]) on conflict do nothing`.execute(trx);
    return Number(result.numAffectedRows ?? 0);
  }
  let added = 0;
  for (const chunk of chunks(ids, SQLITE_CHUNK)) {
    const result = await trx
      .insertInto("segment_ids")
      .values(chunk.map((subject) => ({ segment_key: key, subject })))
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    added += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return added;
}

/** Removes ids from a segment; ids not there are skipped. Returns how many were removed. */
export async function removeIds(trx: Db, dialect: Database["dialect"], key: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  if (dialect === "postgres") {
    const result = await sql`delete from segment_ids where segment_key = ${key} and subject = any(${ids}::text[])`.execute(trx);
    return Number(result.numAffectedRows ?? 0);
  }
  let removed = 0;
  for (const chunk of chunks(ids, SQLITE_CHUNK * 2)) {
    const result = await trx.deleteFrom("segment_ids").where("segment_key", "=", key).where("subject", "in", chunk).executeTakeFirst();
    removed += Number(result.numDeletedRows);
  }
  return removed;
}
