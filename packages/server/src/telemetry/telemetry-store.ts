import type { TelemetryCount } from "@darklaunch/core";
import { sql } from "kysely";
import { type EvaluationFilter, type EvaluationWrite, recordEvaluations } from "../evaluations/evaluation-store.js";
import type { Db } from "../store/database.js";

/** One SDK report, validated: counts, samples (as log rows) and drops of one instance and interval. */
export interface TelemetryReport {
  instance: string;
  sdk?: { name: string; version: string };
  intervalStart: string;
  counts: readonly TelemetryCount[];
  samples: readonly EvaluationWrite[];
  dropped: number;
}

/** Rows per statement: 8 parameters each. */
const CHUNK = 500;

/** The minute an interval is filed under: its start, truncated (`2026-05-01T10:07:00.000Z`). */
export function minuteOf(iso: string): string {
  const ms = Date.parse(iso);
  return new Date(ms - (((ms % 60_000) + 60_000) % 60_000)).toISOString();
}

function keyOf(flag: string, variant: string | null, reason: string, verdict: string): string {
  return JSON.stringify([flag, variant ?? "", reason, verdict]);
}

/**
 * Merges one report in a single transaction: samples go to the evaluations log, counts are added to
 * `evaluation_counts` (an upsert that adds to what the same instance already sent for the minute),
 * drops to `telemetry_reports`. Samples are part of the counts, so each count row also adds how many
 * of its evaluations were sampled: the log plus `count - sampled` counts every evaluation once.
 *
 * @example
 * await mergeTelemetry(db, { instance: "api-1", intervalStart, counts: [{ flag: "f", variant: "on", reason: "FALLTHROUGH", included: true, count: 40 }], samples: [], dropped: 0 });
 */
export async function mergeTelemetry(db: Db, report: TelemetryReport): Promise<void> {
  const minute = minuteOf(report.intervalStart);
  // One row per key: Postgres refuses an upsert that touches the same row twice in one statement.
  const merged = new Map<string, { flag: string; variant: string; reason: string; verdict: string; count: number; sampled: number }>();
  for (const c of report.counts) {
    const verdict = c.included ? "include" : "exclude";
    const key = keyOf(c.flag, c.variant, c.reason, verdict);
    const row = merged.get(key);
    if (row) row.count += c.count;
    else merged.set(key, { flag: c.flag, variant: c.variant ?? "", reason: c.reason, verdict, count: c.count, sampled: 0 });
  }
  for (const s of report.samples) {
    const row = merged.get(keyOf(s.flag, s.variant, s.reason, s.verdict));
    // A sample with no count row (or beyond it) is extra, not a share of a count.
    if (row && row.sampled < row.count) row.sampled += 1;
  }
  const rows = [...merged.values()].map((r) => ({ instance: report.instance, minute, ...r }));
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < report.samples.length; i += CHUNK) await recordEvaluations(trx, report.samples.slice(i, i + CHUNK));
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx
        .insertInto("evaluation_counts")
        .values(rows.slice(i, i + CHUNK))
        .onConflict((oc) =>
          oc.columns(["instance", "minute", "flag", "variant", "reason", "verdict"]).doUpdateSet({
            count: sql`evaluation_counts.count + excluded.count`,
            sampled: sql`evaluation_counts.sampled + excluded.sampled`,
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
          dropped: sql`telemetry_reports.dropped + excluded.dropped`,
          sdk_name: sql`excluded.sdk_name`,
          sdk_version: sql`excluded.sdk_version`,
          received_at: sql`excluded.received_at`,
        }),
      )
      .execute();
  });
}

/** What SDK counts add to the evaluations log, grouped as `evaluationStats` groups the log. */
export interface CountGroup {
  flag: string;
  verdict: string;
  reason: string;
  variant: string | null;
  n: number;
}

/**
 * SDK evaluations counted but not sampled into the log, for stats over [since, until). Counts carry
 * no subject, so a subject filter leaves them out; they are all source `sdk`.
 */
export async function countGroups(db: Db, filter: EvaluationFilter & { since: string; until: string }): Promise<CountGroup[]> {
  if (filter.subject !== undefined || (filter.source !== undefined && filter.source !== "sdk")) return [];
  let q = db
    .selectFrom("evaluation_counts")
    .select(["flag", "verdict", "reason", "variant", sql<string | number>`sum(count - sampled)`.as("n")])
    .where("minute", ">=", filter.since)
    .where("minute", "<", filter.until);
  if (filter.flag !== undefined) q = q.where("flag", "=", filter.flag);
  if (filter.verdict !== undefined) q = q.where("verdict", "=", filter.verdict);
  if (filter.reason !== undefined) q = q.where("reason", "=", filter.reason);
  const rows = await q.groupBy(["flag", "verdict", "reason", "variant"]).execute();
  return rows
    .map((r) => ({ flag: r.flag, verdict: r.verdict, reason: r.reason, variant: r.variant === "" ? null : r.variant, n: Number(r.n) }))
    .filter((r) => r.n > 0);
}

/** Drops an instance reported for one minute (0 when it reported none). */
export async function droppedIn(db: Db, instance: string, minute: string): Promise<number> {
  const row = await db
    .selectFrom("telemetry_reports")
    .select("dropped")
    .where("instance", "=", instance)
    .where("minute", "=", minute)
    .executeTakeFirst();
  return row === undefined ? 0 : Number(row.dropped);
}
