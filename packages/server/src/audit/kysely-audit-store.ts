import type { Db } from "../store/database.js";
import type { AuditEntry, AuditQuery, AuditStore, AuditWrite } from "./audit-store.js";

/** The audit log in the `audit` table, on SQLite or Postgres. */
export class KyselyAuditStore implements AuditStore {
  constructor(private readonly db: Db) {}

  async record(entry: AuditWrite): Promise<void> {
    await this.db
      .insertInto("audit")
      .values({
        at: new Date().toISOString(),
        actor: entry.actor,
        action: entry.action,
        target_type: entry.targetType,
        target_key: entry.targetKey,
        before: entry.before === undefined ? null : JSON.stringify(entry.before),
        after: entry.after === undefined ? null : JSON.stringify(entry.after),
      })
      .execute();
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    let q = this.db.selectFrom("audit").selectAll().orderBy("id", "desc").limit(query.limit);
    if (query.targetType) q = q.where("target_type", "=", query.targetType);
    if (query.target) q = q.where("target_key", "=", query.target);
    if (query.actor) q = q.where("actor", "=", query.actor);
    if (query.action) q = q.where("action", "=", query.action);
    if (query.since) q = q.where("at", ">=", query.since);
    if (query.until) q = q.where("at", "<", query.until);
    if (query.before !== undefined) q = q.where("id", "<", query.before);
    const rows = await q.execute();
    return rows.map((row) => ({
      id: Number(row.id),
      at: row.at,
      actor: row.actor,
      action: row.action,
      targetType: row.target_type,
      targetKey: row.target_key,
      before: row.before === null ? null : JSON.parse(row.before),
      after: row.after === null ? null : JSON.parse(row.after),
    }));
  }

  async has(targetType: string, targetKey: string): Promise<boolean> {
    const row = await this.db
      .selectFrom("audit")
      .select("id")
      .where("target_type", "=", targetType)
      .where("target_key", "=", targetKey)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
