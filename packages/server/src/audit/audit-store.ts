import type { Db } from "../store/database.js";

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetKey: string;
  before: unknown;
  after: unknown;
}

export interface AuditWrite {
  actor: string;
  action: string;
  targetType: string;
  targetKey: string;
  before?: unknown;
  after?: unknown;
}

/** Records one write. Call it with the write's own transaction, so both land or neither does. */
export async function recordAudit(trx: Db, entry: AuditWrite): Promise<void> {
  await trx
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

export interface AuditQuery {
  targetType?: string;
  target?: string;
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
  /** Entries with an id below this one (for paging backwards from the newest). */
  before?: number;
  limit: number;
}

/** Newest first. */
export async function listAudit(db: Db, query: AuditQuery): Promise<AuditEntry[]> {
  let q = db.selectFrom("audit").selectAll().orderBy("id", "desc").limit(query.limit);
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
