import type { Override } from "@darklaunch/core";
import type { Db } from "../store/database.js";

/** An override as the API shows it. */
export interface OverrideRecord {
  flag: string;
  subject: string;
  variant: string | null;
  source: Override["source"];
  createdAt: string;
}

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

export async function listOverrides(db: Db, flag: string): Promise<OverrideRecord[]> {
  const rows = await db.selectFrom("overrides").selectAll().where("flag", "=", flag).orderBy("subject").execute();
  return rows.map(fromRow);
}

export async function getOverride(db: Db, flag: string, subject: string): Promise<OverrideRecord | undefined> {
  const row = await db.selectFrom("overrides").selectAll().where("flag", "=", flag).where("subject", "=", subject).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** Creates the override or replaces the one the subject has; `createdAt` is when it was first set. */
export async function putOverride(trx: Db, override: Override, at: string): Promise<void> {
  await trx
    .insertInto("overrides")
    .values({ flag: override.flag, subject: override.subject, variant: override.variant ?? null, source: override.source, created_at: at })
    .onConflict((oc) => oc.columns(["flag", "subject"]).doUpdateSet({ variant: override.variant ?? null, source: override.source }))
    .execute();
}

export async function deleteOverride(trx: Db, flag: string, subject: string): Promise<boolean> {
  const result = await trx.deleteFrom("overrides").where("flag", "=", flag).where("subject", "=", subject).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
