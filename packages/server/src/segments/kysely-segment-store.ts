import { groupBy, type Segment } from "@darklaunch/core";
import { sql } from "kysely";
import type { Db, Dialect } from "../store/database.js";
import type { SegmentRecord, SegmentStore, SegmentWrite } from "./segment-store.js";

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

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Segments in `segments` and their ids in `segment_ids`, on SQLite or Postgres. */
export class KyselySegmentStore implements SegmentStore {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  async countIds(key: string): Promise<number> {
    const row = await this.db
      .selectFrom("segment_ids")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("segment_key", "=", key)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async idCharacters(): Promise<number> {
    const row = await this.db
      .selectFrom("segment_ids")
      .select(sql<string | number | null>`sum(length(subject))`.as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n ?? 0);
  }

  async get(key: string): Promise<SegmentRecord | undefined> {
    const row = await this.db.selectFrom("segments").selectAll().where("key", "=", key).executeTakeFirst();
    return row ? fromRow(row, await this.countIds(key)) : undefined;
  }

  async list(): Promise<SegmentRecord[]> {
    const rows = await this.db.selectFrom("segments").selectAll().orderBy("key").execute();
    const counts = await this.db
      .selectFrom("segment_ids")
      .select(["segment_key", (eb) => eb.fn.countAll().as("n")])
      .groupBy("segment_key")
      .execute();
    const byKey = new Map(counts.map((c) => [c.segment_key, Number(c.n)]));
    return rows.map((row) => fromRow(row, byKey.get(row.key) ?? 0));
  }

  async listForRuleset(options: { ids: boolean }): Promise<Segment[]> {
    const rows = await this.db.selectFrom("segments").selectAll().orderBy("key").execute();
    const idRows = options.ids ? await this.db.selectFrom("segment_ids").select(["segment_key", "subject"]).execute() : [];
    const ids = groupBy(idRows, (row) => row.segment_key);
    return rows.map((row) => ({
      key: row.key,
      description: row.description,
      conditions: JSON.parse(row.conditions),
      ids: (ids.get(row.key) ?? []).map((id) => id.subject),
      version: Number(row.version),
    }));
  }

  async listIds(key: string, cursor: string | undefined, limit: number): Promise<string[]> {
    let query = this.db.selectFrom("segment_ids").select("subject").where("segment_key", "=", key).orderBy("subject").limit(limit);
    if (cursor !== undefined) query = query.where("subject", ">", cursor);
    return (await query.execute()).map((row) => row.subject);
  }

  async insert(segment: SegmentWrite, at: string): Promise<void> {
    await this.db
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

  async update(next: SegmentWrite, expected: number, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable("segments")
      .set({ version: next.version, description: next.description, conditions: JSON.stringify(next.conditions), updated_at: at })
      .where("key", "=", next.key)
      .where("version", "=", expected)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async delete(key: string, expected: number): Promise<boolean> {
    await this.db.deleteFrom("segment_ids").where("segment_key", "=", key).execute();
    const result = await this.db.deleteFrom("segments").where("key", "=", key).where("version", "=", expected).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** Postgres takes the whole list as one array parameter (`unnest`); SQLite gets chunks under its parameter limit. */
  async addIds(key: string, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    if (this.dialect === "postgres") {
      const result = await sql`insert into segment_ids (segment_key, subject)
      select ${key}::text, unnest(${ids}::text[]) on conflict do nothing`.execute(this.db);
      return Number(result.numAffectedRows ?? 0);
    }
    let added = 0;
    for (const chunk of chunks(ids, SQLITE_CHUNK)) {
      const result = await this.db
        .insertInto("segment_ids")
        .values(chunk.map((subject) => ({ segment_key: key, subject })))
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      added += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return added;
  }

  async removeIds(key: string, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    if (this.dialect === "postgres") {
      const result = await sql`delete from segment_ids where segment_key = ${key} and subject = any(${ids}::text[])`.execute(this.db);
      return Number(result.numAffectedRows ?? 0);
    }
    let removed = 0;
    for (const chunk of chunks(ids, SQLITE_CHUNK * 2)) {
      const result = await this.db
        .deleteFrom("segment_ids")
        .where("segment_key", "=", key)
        .where("subject", "in", chunk)
        .executeTakeFirst();
      removed += Number(result.numDeletedRows);
    }
    return removed;
  }
}
