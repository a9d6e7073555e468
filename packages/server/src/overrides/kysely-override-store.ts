import type { Override } from "@darklaunch/core";
import type { Db } from "../store/database.js";
import type { OverrideRecord, OverrideStore } from "./override-store.js";

type OverrideRow = { flag: string; subject: string; variant: string | null; source: string; created_at: string };

function fromRow(row: OverrideRow): OverrideRecord {
  return {
    flag: row.flag,
    subject: row.subject,
    variant: row.variant,
    source: row.source as Override["source"],
    createdAt: row.created_at,
  };
}

/** Overrides in the `overrides` table, on SQLite or Postgres. */
export class KyselyOverrideStore implements OverrideStore {
  constructor(private readonly db: Db) {}

  async list(flag: string): Promise<OverrideRecord[]> {
    const rows = await this.db.selectFrom("overrides").selectAll().where("flag", "=", flag).orderBy("subject").execute();
    return rows.map(fromRow);
  }

  async listAll(): Promise<Override[]> {
    const rows = await this.db.selectFrom("overrides").selectAll().orderBy("flag").orderBy("subject").execute();
    return rows.map((row) => ({
      flag: row.flag,
      subject: row.subject,
      source: row.source as Override["source"],
      ...(row.variant === null ? {} : { variant: row.variant }),
    }));
  }

  async get(flag: string, subject: string): Promise<OverrideRecord | undefined> {
    const row = await this.db
      .selectFrom("overrides")
      .selectAll()
      .where("flag", "=", flag)
      .where("subject", "=", subject)
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async put(override: Override, at: string): Promise<void> {
    await this.db
      .insertInto("overrides")
      .values({
        flag: override.flag,
        subject: override.subject,
        variant: override.variant ?? null,
        source: override.source,
        created_at: at,
      })
      .onConflict((oc) => oc.columns(["flag", "subject"]).doUpdateSet({ variant: override.variant ?? null, source: override.source }))
      .execute();
  }

  async delete(flag: string, subject: string): Promise<boolean> {
    const result = await this.db.deleteFrom("overrides").where("flag", "=", flag).where("subject", "=", subject).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async deleteForFlag(flag: string): Promise<void> {
    await this.db.deleteFrom("overrides").where("flag", "=", flag).execute();
  }
}
