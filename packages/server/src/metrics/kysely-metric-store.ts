import {
  collapseByKey as collapse,
  type ExposureWindow,
  exposureKey,
  type MetricBatch,
  type MetricDefinition,
  type MetricWindow,
  mergeExposureWindows,
  mergeMetricWindows,
  metricWindowKey,
} from "@darklaunch/core";
import type { Kysely } from "kysely";
import { KyselyAuditStore } from "../audit/kysely-audit-store.js";
import { atomically } from "../store/atomically.js";
import type { Database, Db, Dialect } from "../store/database.js";
import type { MetricStore, MetricTransaction } from "./metric-store.js";

type ExposureData = Pick<ExposureWindow, "evaluations" | "subjects">;
type WindowData = Pick<MetricWindow, "events" | "sum" | "sumSq" | "subjects">;

const exposureData = (w: ExposureWindow): string =>
  JSON.stringify({ evaluations: w.evaluations, subjects: w.subjects } satisfies ExposureData);
const windowData = (w: MetricWindow): string =>
  JSON.stringify({ events: w.events, sum: w.sum, sumSq: w.sumSq, subjects: w.subjects } satisfies WindowData);

/**
 * Business metrics in `metric_definitions`, `metric_windows` and `exposure_windows`, on SQLite or
 * Postgres. Windows merge as observation windows do (kysely-observation-store.ts): insert, or lock
 * the existing row (`FOR UPDATE` on Postgres), merge in JavaScript and write back.
 */
export class KyselyMetricStore implements MetricStore {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  async definitions(flag?: string): Promise<MetricDefinition[]> {
    let select = this.db.selectFrom("metric_definitions").select("data");
    if (flag !== undefined) select = select.where("flag_key", "=", flag);
    const rows = await select.orderBy("flag_key").orderBy("key").execute();
    return rows.map((row) => JSON.parse(row.data) as MetricDefinition);
  }

  async putDefinition(definition: MetricDefinition): Promise<MetricDefinition> {
    return atomically(this.db, async (trx) => {
      const existing = await trx
        .selectFrom("metric_definitions")
        .select("created_at")
        .where("flag_key", "=", definition.flagKey)
        .where("key", "=", definition.key)
        .executeTakeFirst();
      const stored = { ...definition, createdAt: existing?.created_at ?? definition.createdAt };
      const row = { data: JSON.stringify(stored), updated_at: stored.updatedAt };
      if (existing === undefined) {
        await trx
          .insertInto("metric_definitions")
          .values({ flag_key: stored.flagKey, key: stored.key, created_at: stored.createdAt, ...row })
          .execute();
      } else {
        await trx.updateTable("metric_definitions").set(row).where("flag_key", "=", stored.flagKey).where("key", "=", stored.key).execute();
      }
      return stored;
    });
  }

  async deleteDefinition(flag: string, key: string): Promise<boolean> {
    const result = await this.db.deleteFrom("metric_definitions").where("flag_key", "=", flag).where("key", "=", key).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async merge(batch: Pick<MetricBatch, "exposures" | "windows">): Promise<void> {
    const exposures = collapse(batch.exposures, exposureKey, mergeExposureWindows);
    const windows = collapse(batch.windows, metricWindowKey, mergeMetricWindows);
    if (exposures.length === 0 && windows.length === 0) return;
    await atomically(this.db, async (trx) => {
      const now = new Date().toISOString();
      for (const w of exposures) {
        const key = { flag_key: w.flag, variant: w.variant, minute: w.start };
        await this.mergeRow(trx, "exposure_windows", key, now, exposureData(w), (stored) =>
          exposureData(mergeExposureWindows({ ...w, ...(JSON.parse(stored) as ExposureData) }, w)),
        );
      }
      for (const w of windows) {
        const key = { flag_key: w.flag, metric: w.metric, variant: w.variant, minute: w.start };
        await this.mergeRow(trx, "metric_windows", key, now, windowData(w), (stored) =>
          windowData(mergeMetricWindows({ ...w, ...(JSON.parse(stored) as WindowData) }, w)),
        );
      }
    });
  }

  /** Inserts a row, or locks the stored one and writes back `merged(stored data)`. */
  private async mergeRow(
    trx: Db,
    table: "exposure_windows" | "metric_windows",
    key: Record<string, string>,
    now: string,
    data: string,
    merged: (stored: string) => string,
  ): Promise<void> {
    // The two tables differ only in their key columns: Kysely's types cannot follow a key built at run time.
    const db = trx as unknown as Kysely<Record<string, Record<string, string>>>;
    const name: string = table;
    const columns = Object.keys(key);
    const inserted = await db
      .insertInto(name)
      .values({ ...key, data, updated_at: now })
      .onConflict((oc) => oc.columns(columns).doNothing())
      .returning("data")
      .executeTakeFirst();
    if (inserted !== undefined) return;
    let select = db.selectFrom(name).select("data");
    for (const [column, value] of Object.entries(key)) select = select.where(column, "=", value);
    if (this.dialect === "postgres") select = select.forUpdate();
    const row = await select.executeTakeFirstOrThrow();
    let update = db.updateTable(name).set({ data: merged(row.data), updated_at: now });
    for (const [column, value] of Object.entries(key)) update = update.where(column, "=", value);
    await update.execute();
  }

  async windows(flag: string, since: string, until: string): Promise<{ exposures: ExposureWindow[]; windows: MetricWindow[] }> {
    const exposureRows = await this.db
      .selectFrom("exposure_windows")
      .select(["variant", "minute", "data"])
      .where("flag_key", "=", flag)
      .where("minute", ">=", since)
      .where("minute", "<", until)
      .orderBy("minute")
      .orderBy("variant")
      .execute();
    const windowRows = await this.db
      .selectFrom("metric_windows")
      .select(["metric", "variant", "minute", "data"])
      .where("flag_key", "=", flag)
      .where("minute", ">=", since)
      .where("minute", "<", until)
      .orderBy("minute")
      .orderBy("metric")
      .orderBy("variant")
      .execute();
    return {
      exposures: exposureRows.map((r) => ({ flag, variant: r.variant, start: r.minute, ...(JSON.parse(r.data) as ExposureData) })),
      windows: windowRows.map((r) => ({
        flag,
        metric: r.metric,
        variant: r.variant,
        start: r.minute,
        ...(JSON.parse(r.data) as WindowData),
      })),
    };
  }

  async prune(before: string): Promise<number> {
    const windows = await this.db.deleteFrom("metric_windows").where("minute", "<", before).executeTakeFirst();
    const exposures = await this.db.deleteFrom("exposure_windows").where("minute", "<", before).executeTakeFirst();
    return Number(windows.numDeletedRows) + Number(exposures.numDeletedRows);
  }
}

/** Transactions over the metric and audit tables of one database. */
export function metricTransaction(database: Database): MetricTransaction {
  return (work) =>
    database.db
      .transaction()
      .execute((trx) => work({ metrics: new KyselyMetricStore(trx, database.dialect), audit: new KyselyAuditStore(trx) }));
}
