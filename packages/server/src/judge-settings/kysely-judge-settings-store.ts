import { KyselyAuditStore } from "../audit/kysely-audit-store.js";
import type { Database, Db } from "../store/database.js";
import type { JudgeSettingsStore, JudgeSettingsTransaction, StoredJudgeSettings } from "./judge-settings-store.js";

/** Per-flag judge settings in the `flag_judge_settings` table (JSON in `settings`), on SQLite or Postgres. */
export class KyselyJudgeSettingsStore implements JudgeSettingsStore {
  constructor(private readonly db: Db) {}

  async get(flag: string): Promise<StoredJudgeSettings | undefined> {
    const row = await this.db.selectFrom("flag_judge_settings").selectAll().where("flag_key", "=", flag).executeTakeFirst();
    return (
      row && {
        flag: row.flag_key,
        settings: JSON.parse(row.settings) as Record<string, unknown>,
        updatedAt: row.updated_at,
        updatedBy: row.updated_by,
      }
    );
  }

  async put(stored: StoredJudgeSettings): Promise<void> {
    const values = { settings: JSON.stringify(stored.settings), updated_at: stored.updatedAt, updated_by: stored.updatedBy };
    await this.db
      .insertInto("flag_judge_settings")
      .values({ flag_key: stored.flag, ...values })
      .onConflict((oc) => oc.column("flag_key").doUpdateSet(values))
      .execute();
  }

  async remove(flag: string): Promise<boolean> {
    const result = await this.db.deleteFrom("flag_judge_settings").where("flag_key", "=", flag).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

/** Transactions over the settings and audit tables of one database. */
export function judgeSettingsTransaction(database: Database): JudgeSettingsTransaction {
  return (work) =>
    database.db.transaction().execute((trx) => work({ settings: new KyselyJudgeSettingsStore(trx), audit: new KyselyAuditStore(trx) }));
}
