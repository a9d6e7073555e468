import { type SelectQueryBuilder, sql } from "kysely";
import { atomically } from "../store/atomically.js";
import type { Db, Tables } from "../store/database.js";
import { type PruneOptions, pruneInBatches } from "../store/retention.js";
import type {
  CountGroup,
  EvaluationFilter,
  EvaluationQuery,
  EvaluationRecord,
  EvaluationSource,
  EvaluationStore,
  EvaluationWrite,
  Verdict,
} from "./evaluation-store.js";

/** Rows per INSERT: 10 parameters each stays far below SQLite's and Postgres' limits. */
const INSERT_CHUNK = 500;

function filtered<O>(q: SelectQueryBuilder<Tables, "evaluations", O>, f: EvaluationFilter): SelectQueryBuilder<Tables, "evaluations", O> {
  let out = q;
  if (f.flag !== undefined) out = out.where("flag", "=", f.flag);
  if (f.verdict !== undefined) out = out.where("verdict", "=", f.verdict);
  if (f.reason !== undefined) out = out.where("reason", "=", f.reason);
  if (f.subject !== undefined) out = out.where("subject", "=", f.subject);
  if (f.source !== undefined) out = out.where("source", "=", f.source);
  if (f.since !== undefined) out = out.where("at", ">=", f.since);
  if (f.until !== undefined) out = out.where("at", "<", f.until);
  return out;
}

/** The evaluations log in the `evaluations` table, on SQLite or Postgres. */
export class KyselyEvaluationStore implements EvaluationStore {
  constructor(private readonly db: Db) {}

  /** Multi-row inserts of at most 500, all in one transaction when more than one insert is needed. */
  async record(rows: readonly EvaluationWrite[]): Promise<void> {
    if (rows.length === 0) return;
    const values = rows.map((row) => ({
      at: row.at,
      flag: row.flag,
      flag_version: row.flagVersion,
      subject: row.subject,
      variant: row.variant,
      verdict: row.verdict,
      reason: row.reason,
      position: row.position,
      source: row.source,
    }));
    if (values.length <= INSERT_CHUNK) {
      await this.db.insertInto("evaluations").values(values).execute();
      return;
    }
    await atomically(this.db, async (trx) => {
      for (let i = 0; i < values.length; i += INSERT_CHUNK) {
        await trx
          .insertInto("evaluations")
          .values(values.slice(i, i + INSERT_CHUNK))
          .execute();
      }
    });
  }

  async list(query: EvaluationQuery): Promise<EvaluationRecord[]> {
    let q = filtered(this.db.selectFrom("evaluations").selectAll(), query);
    if (query.before !== undefined) q = q.where("id", "<", query.before);
    const rows = await q.orderBy("id", "desc").limit(query.limit).execute();
    return rows.map((row) => ({
      id: Number(row.id),
      at: row.at,
      flag: row.flag,
      flagVersion: row.flag_version === null ? null : Number(row.flag_version),
      subject: row.subject,
      variant: row.variant,
      verdict: row.verdict as Verdict,
      reason: row.reason,
      position: row.position === null ? null : Number(row.position),
      source: row.source as EvaluationSource,
    }));
  }

  /** One GROUP BY: the database scans the rows once and returns one row per combination, which are few. */
  async countGroups(filter: EvaluationFilter): Promise<CountGroup[]> {
    const rows = await filtered(
      this.db.selectFrom("evaluations").select(["flag", "verdict", "reason", "variant", sql<string | number>`count(*)`.as("n")]),
      filter,
    )
      .groupBy(["flag", "verdict", "reason", "variant"])
      .execute();
    return rows.map((r) => ({ flag: r.flag, verdict: r.verdict, reason: r.reason, variant: r.variant, n: Number(r.n) }));
  }

  prune(before: string, options: PruneOptions = {}): Promise<number> {
    return pruneInBatches(async (batchSize) => {
      // `id in (select … limit n)` bounds each DELETE on both SQLite and Postgres (neither needs DELETE … LIMIT).
      const result = await this.db
        .deleteFrom("evaluations")
        .where("id", "in", (eb) => eb.selectFrom("evaluations").select("id").where("at", "<", before).limit(batchSize))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    }, options);
  }
}
