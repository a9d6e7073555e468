import { sql } from "kysely";
import { CHANGES_CHANNEL } from "../sdk/change-notice.js";
import type { Db, Dialect } from "../store/database.js";
import type { RevisionStore } from "./revision-store.js";

/** The `revision` row of the `meta` table. */
export class KyselyRevisionStore implements RevisionStore {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  async bump(): Promise<void> {
    await this.db.updateTable("meta").set({ value: sql`value + 1` }).where("name", "=", "revision").execute();
    // Postgres delivers the NOTIFY at commit, to every replica's SDK streams; a rollback drops it.
    if (this.dialect === "postgres") {
      await sql`select pg_notify(${CHANGES_CHANNEL}, value::text) from meta where name = 'revision'`.execute(this.db);
    }
  }

  async current(): Promise<number> {
    const row = await this.db.selectFrom("meta").select("value").where("name", "=", "revision").executeTakeFirstOrThrow();
    return Number(row.value);
  }
}
