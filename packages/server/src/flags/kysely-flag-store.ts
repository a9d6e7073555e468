import { type Flag, parseFlag } from "@darklaunch/core";
import type { Db } from "../store/database.js";
import type { FlagRecord, FlagStore } from "./flag-store.js";

type FlagRow = { key: string; version: number; archived: number; data: string; created_at: string; updated_at: string };

/** Rows per `key in (…)` lookup: far below both databases' parameter limits. */
const KEYS_CHUNK = 500;

/** The one mapping of a `flags` row: every reader of flags goes through it. */
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

/** Flags in the `flags` table (the flag as JSON in `data`), on SQLite or Postgres. */
export class KyselyFlagStore implements FlagStore {
  constructor(private readonly db: Db) {}

  async get(key: string): Promise<FlagRecord | undefined> {
    const row = await this.db.selectFrom("flags").selectAll().where("key", "=", key).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(): Promise<FlagRecord[]> {
    const rows = await this.db.selectFrom("flags").selectAll().orderBy("key").execute();
    return rows.map(fromRow);
  }

  async listActive(): Promise<FlagRecord[]> {
    const rows = await this.db.selectFrom("flags").selectAll().where("archived", "=", 0).orderBy("key").execute();
    return rows.map(fromRow);
  }

  async existing(keys: readonly string[]): Promise<Set<string>> {
    const known = new Set<string>();
    for (let i = 0; i < keys.length; i += KEYS_CHUNK) {
      const rows = await this.db
        .selectFrom("flags")
        .select("key")
        .where("key", "in", keys.slice(i, i + KEYS_CHUNK))
        .execute();
      for (const row of rows) known.add(row.key);
    }
    return known;
  }

  async insert(flag: Flag, at: string): Promise<void> {
    await this.db
      .insertInto("flags")
      .values({ key: flag.key, version: flag.version, archived: 0, data: JSON.stringify(flag), created_at: at, updated_at: at })
      .execute();
  }

  async update(next: Flag, expected: number, archived: boolean, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable("flags")
      .set({ version: next.version, archived: archived ? 1 : 0, data: JSON.stringify(next), updated_at: at })
      .where("key", "=", next.key)
      .where("version", "=", expected)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async delete(key: string, expected: number): Promise<boolean> {
    const result = await this.db.deleteFrom("flags").where("key", "=", key).where("version", "=", expected).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
