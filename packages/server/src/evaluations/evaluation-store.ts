import { type SelectQueryBuilder, sql } from "kysely";
import type { Db, Tables } from "../store/database.js";
import { countGroups } from "../telemetry/telemetry-store.js";

export type Verdict = "include" | "exclude";
export type EvaluationSource = "server" | "sdk" | "ofrep";

/** One recorded evaluation (the seed's `policy_evaluations` row, for any flag and subject). */
export interface EvaluationRecord {
  id: number;
  at: string;
  flag: string;
  flagVersion: number | null;
  /** The value of the flag's `bucketBy` attribute, or null when the context had none. */
  subject: string | null;
  variant: string | null;
  verdict: Verdict;
  reason: string;
  position: number | null;
  source: EvaluationSource;
}

export type EvaluationWrite = Omit<EvaluationRecord, "id">;

/** Rows per INSERT: 10 parameters each stays far below SQLite's and Postgres' limits. */
const INSERT_CHUNK = 500;

/**
 * Records evaluations in multi-row inserts of at most 500, all in one transaction when more than one
 * insert is needed. The server records its own this way; SDK reports go through here too.
 */
export async function recordEvaluations(db: Db, rows: readonly EvaluationWrite[]): Promise<void> {
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
    await db.insertInto("evaluations").values(values).execute();
    return;
  }
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < values.length; i += INSERT_CHUNK) {
      await trx
        .insertInto("evaluations")
        .values(values.slice(i, i + INSERT_CHUNK))
        .execute();
    }
  });
}

export interface EvaluationFilter {
  flag?: string;
  verdict?: Verdict;
  reason?: string;
  subject?: string;
  source?: EvaluationSource;
  /** Inclusive lower bound on `at` (ISO, as stored). */
  since?: string;
  /** Exclusive upper bound on `at`. */
  until?: string;
}

export interface EvaluationQuery extends EvaluationFilter {
  /** Rows with an id below this one: paging backwards from the newest. */
  before?: number;
  limit: number;
}

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

/** Newest first (by id, which follows insertion order). */
export async function listEvaluations(db: Db, query: EvaluationQuery): Promise<EvaluationRecord[]> {
  let q = filtered(db.selectFrom("evaluations").selectAll(), query);
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

/** Evaluations counted over a period, overall and per flag. */
export interface EvaluationStats {
  since: string;
  until: string;
  total: number;
  byVerdict: Record<Verdict, number>;
  byReason: Record<string, number>;
  /** Keyed by variant; `(none)` counts evaluations that served no variant (errors). */
  byVariant: Record<string, number>;
  flags: { flag: string; total: number; include: number; exclude: number; includeRate: number }[];
}

export const NO_VARIANT = "(none)";

/**
 * Counts evaluations in [since, until) with one GROUP BY over (flag, verdict, reason, variant), plus
 * the SDKs' telemetry counts (grouped alike) beyond their samples already in the log: the database scans the rows once and returns one row per combination, which are few, so every total
 * below comes from the same read and they always add up.
 */
export async function evaluationStats(db: Db, filter: EvaluationFilter & { since: string; until: string }): Promise<EvaluationStats> {
  const groups = await filtered(
    db.selectFrom("evaluations").select(["flag", "verdict", "reason", "variant", sql<string | number>`count(*)`.as("n")]),
    filter,
  )
    .groupBy(["flag", "verdict", "reason", "variant"])
    .execute();
  // SDK telemetry: what the services counted beyond the samples already in the log.
  groups.push(...(await countGroups(db, filter)));
  const stats: EvaluationStats = {
    since: filter.since,
    until: filter.until,
    total: 0,
    byVerdict: { include: 0, exclude: 0 },
    byReason: {},
    byVariant: {},
    flags: [],
  };
  const perFlag = new Map<string, { flag: string; total: number; include: number; exclude: number; includeRate: number }>();
  for (const group of groups) {
    const n = Number(group.n);
    stats.total += n;
    const verdict: Verdict = group.verdict === "include" ? "include" : "exclude";
    stats.byVerdict[verdict] += n;
    stats.byReason[group.reason] = (stats.byReason[group.reason] ?? 0) + n;
    const variant = group.variant ?? NO_VARIANT;
    stats.byVariant[variant] = (stats.byVariant[variant] ?? 0) + n;
    let flag = perFlag.get(group.flag);
    if (!flag) {
      flag = { flag: group.flag, total: 0, include: 0, exclude: 0, includeRate: 0 };
      perFlag.set(group.flag, flag);
    }
    flag.total += n;
    flag[verdict] += n;
  }
  for (const flag of perFlag.values()) flag.includeRate = flag.total === 0 ? 0 : flag.include / flag.total;
  stats.flags = [...perFlag.values()].sort((a, b) => b.total - a.total || a.flag.localeCompare(b.flag));
  return stats;
}
