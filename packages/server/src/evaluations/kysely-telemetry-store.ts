import { minuteOf } from "@darklaunch/core";
import { type RawBuilder, sql } from "kysely";
import { atomically } from "../store/atomically.js";
import type { Db } from "../store/database.js";
import type { CountGroup, EvaluationFilter } from "./evaluation-store.js";
import { KyselyEvaluationStore } from "./kysely-evaluation-store.js";
import type { TelemetryReport, TelemetryStore } from "./telemetry-store.js";

/** Rows per statement: 8 parameters each. */
const CHUNK = 500;

function keyOf(flag: string, variant: string | null, reason: string, verdict: string): string {
  return JSON.stringify([flag, variant ?? "", reason, verdict]);
}

/** SDK telemetry in `evaluation_counts` and `telemetry_reports`, on SQLite or Postgres. */
export class KyselyTelemetryStore implements TelemetryStore {
  constructor(private readonly db: Db) {}

  /**
   * Samples go to the evaluations log, counts are added to `evaluation_counts` (an upsert that adds
   * to what the same instance already sent for the minute), drops to `telemetry_reports`. Samples
   * are part of the counts, so each count row also adds how many of its evaluations were sampled:
   * the log plus `count - sampled` counts every evaluation once.
   *
   * @example
   * await store.merge({ instance: "api-1", intervalStart, counts: [{ flag: "f", variant: "on", reason: "FALLTHROUGH", included: true, count: 40 }], samples: [], dropped: 0 });
   */
  merge(report: TelemetryReport): Promise<void> {
    return mergeTelemetry(this.db, report);
  }

  countGroups(filter: EvaluationFilter & { since: string; until: string }): Promise<CountGroup[]> {
    return countGroups(this.db, filter);
  }

  droppedIn(instance: string, minute: string): Promise<number> {
    return droppedIn(this.db, instance, minute);
  }

  async prune(before: string): Promise<number> {
    // Already aggregated per instance and minute: few rows, one statement each.
    const counts = await this.db.deleteFrom("evaluation_counts").where("minute", "<", before).executeTakeFirst();
    const reports = await this.db.deleteFrom("telemetry_reports").where("minute", "<", before).executeTakeFirst();
    return Number(counts.numDeletedRows) + Number(reports.numDeletedRows);
  }
}

/**
 * Counts stop at 2^53 − 1 (`Number.MAX_SAFE_INTEGER`): beyond it JavaScript loses precision,
 * SQLite turns integers into reals and a Postgres bigint sum can overflow (a lost report). A count
 * that large is a broken or hostile reporter, so it saturates instead of failing the report.
 */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/** `a + b`, or MAX_COUNT when it would pass it; never computes a sum that overflows (both are ≤ MAX_COUNT). */
function saturatedSum(a: RawBuilder<unknown>, b: RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`case when ${a} > ${sql.lit(MAX_COUNT)} - ${b} then ${sql.lit(MAX_COUNT)} else ${a} + ${b} end`;
}

async function mergeTelemetry(db: Db, report: TelemetryReport): Promise<void> {
  // The minute an interval is filed under: its start, truncated (`2026-05-01T10:07:00.000Z`).
  const minute = minuteOf(Date.parse(report.intervalStart));
  // One row per key: Postgres refuses an upsert that touches the same row twice in one statement.
  const merged = new Map<string, { flag: string; variant: string; reason: string; verdict: string; count: number; sampled: number }>();
  for (const c of report.counts) {
    const verdict = c.included ? "include" : "exclude";
    const key = keyOf(c.flag, c.variant, c.reason, verdict);
    const row = merged.get(key);
    if (row) row.count = Math.min(MAX_COUNT, row.count + c.count);
    else merged.set(key, { flag: c.flag, variant: c.variant ?? "", reason: c.reason, verdict, count: c.count, sampled: 0 });
  }
  for (const s of report.samples) {
    const row = merged.get(keyOf(s.flag, s.variant, s.reason, s.verdict));
    // A sample with no count row (or beyond it) is extra, not a share of a count.
    if (row && row.sampled < row.count) row.sampled += 1;
  }
  const rows = [...merged.values()].map((r) => ({ instance: report.instance, minute, ...r }));
  await atomically(db, async (trx) => {
    const log = new KyselyEvaluationStore(trx);
    for (let i = 0; i < report.samples.length; i += CHUNK) await log.record(report.samples.slice(i, i + CHUNK));
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx
        .insertInto("evaluation_counts")
        .values(rows.slice(i, i + CHUNK))
        .onConflict((oc) =>
          oc.columns(["instance", "minute", "flag", "variant", "reason", "verdict"]).doUpdateSet({
            count: saturatedSum(sql.ref("evaluation_counts.count"), sql.ref("excluded.count")),
            sampled: saturatedSum(sql.ref("evaluation_counts.sampled"), sql.ref("excluded.sampled")),
          }),
        )
        .execute();
    }
    await trx
      .insertInto("telemetry_reports")
      .values({
        instance: report.instance,
        minute,
        dropped: report.dropped,
        sdk_name: report.sdk?.name ?? null,
        sdk_version: report.sdk?.version ?? null,
        received_at: new Date().toISOString(),
      })
      .onConflict((oc) =>
        oc.columns(["instance", "minute"]).doUpdateSet({
          dropped: saturatedSum(sql.ref("telemetry_reports.dropped"), sql.ref("excluded.dropped")),
          sdk_name: sql`excluded.sdk_name`,
          sdk_version: sql`excluded.sdk_version`,
          received_at: sql`excluded.received_at`,
        }),
      )
      .execute();
  });
}

async function countGroups(db: Db, filter: EvaluationFilter & { since: string; until: string }): Promise<CountGroup[]> {
  if (filter.subject !== undefined || (filter.source !== undefined && filter.source !== "sdk")) return [];
  let q = db
    .selectFrom("evaluation_counts")
    .select(["flag", "verdict", "reason", "variant", sql<string | number>`sum(cast(count - sampled as double precision))`.as("n")])
    .where("minute", ">=", filter.since)
    .where("minute", "<", filter.until);
  if (filter.flag !== undefined) q = q.where("flag", "=", filter.flag);
  if (filter.verdict !== undefined) q = q.where("verdict", "=", filter.verdict);
  if (filter.reason !== undefined) q = q.where("reason", "=", filter.reason);
  const rows = await q.groupBy(["flag", "verdict", "reason", "variant"]).execute();
  return rows
    .map((r) => ({
      flag: r.flag,
      verdict: r.verdict,
      reason: r.reason,
      variant: r.variant === "" ? null : r.variant,
      n: Math.min(MAX_COUNT, Number(r.n)),
    }))
    .filter((r) => r.n > 0);
}

async function droppedIn(db: Db, instance: string, minute: string): Promise<number> {
  const row = await db
    .selectFrom("telemetry_reports")
    .select("dropped")
    .where("instance", "=", instance)
    .where("minute", "=", minute)
    .executeTakeFirst();
  return row === undefined ? 0 : Number(row.dropped);
}
