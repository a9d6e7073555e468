import { type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";
import { type Db, type Dialect, storeConnectionError } from "./database.js";

/**
 * The one list of migrations for both databases, run at every start (idempotent: Kysely records
 * what ran). Only the auto-increment id differs between SQLite and Postgres.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  const serial = dialect === "postgres" ? "bigserial" : "integer";
  const id = (c: ColumnDefinitionBuilder) => (dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement());
  return {
    "0001-initial": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("flags")
          .addColumn("key", "text", (c) => c.primaryKey())
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("archived", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("data", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("segments")
          .addColumn("key", "text", (c) => c.primaryKey())
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
          .addColumn("conditions", "text", (c) => c.notNull().defaultTo("[]"))
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("segment_ids")
          .addColumn("segment_key", "text", (c) => c.notNull().references("segments.key").onDelete("cascade"))
          .addColumn("subject", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("segment_ids_pk", ["segment_key", "subject"])
          .execute();
        await db.schema
          .createTable("overrides")
          .addColumn("flag", "text", (c) => c.notNull().references("flags.key").onDelete("cascade"))
          .addColumn("subject", "text", (c) => c.notNull())
          .addColumn("variant", "text")
          .addColumn("source", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("overrides_pk", ["flag", "subject"])
          .execute();
        await db.schema
          .createTable("tokens")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("scope", "text", (c) => c.notNull())
          .addColumn("hash", "text", (c) => c.notNull().unique())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("last_used_at", "text")
          .addColumn("revoked_at", "text")
          .execute();
        await db.schema
          .createTable("audit")
          .addColumn("id", serial, id)
          .addColumn("at", "text", (c) => c.notNull())
          .addColumn("actor", "text", (c) => c.notNull())
          .addColumn("action", "text", (c) => c.notNull())
          .addColumn("target_type", "text", (c) => c.notNull())
          .addColumn("target_key", "text", (c) => c.notNull())
          .addColumn("before", "text")
          .addColumn("after", "text")
          .execute();
        await db.schema.createIndex("audit_target").on("audit").columns(["target_type", "target_key", "id"]).execute();
        await db.schema
          .createTable("evaluations")
          .addColumn("id", serial, id)
          .addColumn("at", "text", (c) => c.notNull())
          .addColumn("flag", "text", (c) => c.notNull())
          .addColumn("flag_version", "integer")
          .addColumn("subject", "text")
          .addColumn("variant", "text")
          .addColumn("verdict", "text", (c) => c.notNull())
          .addColumn("reason", "text", (c) => c.notNull())
          .addColumn("position", "real")
          .addColumn("source", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("evaluations_flag_at").on("evaluations").columns(["flag", "at"]).execute();
        await db.schema.createIndex("evaluations_at").on("evaluations").column("at").execute();
        await db.schema
          .createTable("meta")
          .addColumn("name", "text", (c) => c.primaryKey())
          .addColumn("value", "bigint", (c) => c.notNull())
          .execute();
        await sql`insert into meta (name, value) values ('revision', 0)`.execute(db);
      },
    },
    "0002-telemetry": {
      async up(db: Kysely<unknown>) {
        // SDK evaluation counts, merged per (instance, minute, flag, variant, reason, verdict);
        // variant '' is "no variant" (an error), since a primary key column cannot be null.
        await db.schema
          .createTable("evaluation_counts")
          .addColumn("instance", "text", (c) => c.notNull())
          .addColumn("minute", "text", (c) => c.notNull())
          .addColumn("flag", "text", (c) => c.notNull())
          .addColumn("variant", "text", (c) => c.notNull())
          .addColumn("reason", "text", (c) => c.notNull())
          .addColumn("verdict", "text", (c) => c.notNull())
          .addColumn("count", "bigint", (c) => c.notNull())
          .addColumn("sampled", "bigint", (c) => c.notNull().defaultTo(0))
          .addPrimaryKeyConstraint("evaluation_counts_pk", ["instance", "minute", "flag", "variant", "reason", "verdict"])
          .execute();
        await db.schema.createIndex("evaluation_counts_minute").on("evaluation_counts").columns(["minute", "flag"]).execute();
        await db.schema
          .createTable("telemetry_reports")
          .addColumn("instance", "text", (c) => c.notNull())
          .addColumn("minute", "text", (c) => c.notNull())
          .addColumn("dropped", "bigint", (c) => c.notNull())
          .addColumn("sdk_name", "text")
          .addColumn("sdk_version", "text")
          .addColumn("received_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("telemetry_reports_pk", ["instance", "minute"])
          .execute();
      },
    },
    "0003-observations": {
      async up(db: Kysely<unknown>) {
        // Dark-launch observation windows (docs/architecture.md#dark-paths-and-observations), merged per (flag, source, route, minute);
        // `minute` is ISO text like `evaluation_counts.minute`, `data` the window's measurements as JSON.
        await db.schema
          .createTable("observation_windows")
          .addColumn("flag_key", "text", (c) => c.notNull())
          .addColumn("source", "text", (c) => c.notNull())
          .addColumn("route", "text", (c) => c.notNull())
          .addColumn("minute", "text", (c) => c.notNull())
          .addColumn("data", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("observation_windows_pk", ["flag_key", "source", "route", "minute"])
          .execute();
        await db.schema.createIndex("observation_windows_flag_minute").on("observation_windows").columns(["flag_key", "minute"]).execute();
        await db.schema.createIndex("observation_windows_minute").on("observation_windows").column("minute").execute();
      },
    },
    "0004-alerts": {
      async up(db: Kysely<unknown>) {
        // Webhook alerts: destinations, deliveries with every attempt, and the de-duplication keys.
        await db.schema
          .createTable("alert_destinations")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("url", "text", (c) => c.notNull())
          .addColumn("flag", "text")
          .addColumn("severities", "text", (c) => c.notNull())
          .addColumn("format", "text", (c) => c.notNull())
          .addColumn("secret", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("alert_deliveries")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("destination_id", "text", (c) => c.notNull().references("alert_destinations.id").onDelete("cascade"))
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("flag", "text")
          .addColumn("severity", "text", (c) => c.notNull())
          .addColumn("dedup_key", "text")
          .addColumn("alert", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("attempts", "integer", (c) => c.notNull())
          .addColumn("last_status_code", "integer")
          .addColumn("last_error", "text")
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex("alert_deliveries_destination")
          .on("alert_deliveries")
          .columns(["destination_id", "created_at"])
          .execute();
        await db.schema.createIndex("alert_deliveries_flag").on("alert_deliveries").columns(["flag", "created_at"]).execute();
        await db.schema
          .createTable("alert_attempts")
          .addColumn("delivery_id", "text", (c) => c.notNull().references("alert_deliveries.id").onDelete("cascade"))
          .addColumn("attempt", "integer", (c) => c.notNull())
          .addColumn("started_at", "text", (c) => c.notNull())
          .addColumn("finished_at", "text", (c) => c.notNull())
          .addColumn("status_code", "integer")
          .addColumn("error", "text")
          .addPrimaryKeyConstraint("alert_attempts_pk", ["delivery_id", "attempt"])
          .execute();
        await db.schema
          .createTable("alert_dedup")
          .addColumn("destination_id", "text", (c) => c.notNull().references("alert_destinations.id").onDelete("cascade"))
          .addColumn("dedup_key", "text", (c) => c.notNull())
          .addColumn("expires_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("alert_dedup_pk", ["destination_id", "dedup_key"])
          .execute();
      },
    },
    "0005-ramps": {
      async up(db: Kysely<unknown>) {
        // Ramps: one row per ramp (`state` is core's RampState as JSON), at most one active (running
        // or paused) per flag; a lease per ramp so one replica runs it; and its verdict history.
        await db.schema
          .createTable("ramps")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("flag_key", "text", (c) => c.notNull())
          .addColumn("active", "integer", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("plan", "text", (c) => c.notNull())
          .addColumn("state", "text", (c) => c.notNull())
          .addColumn("dark_build", "text")
          .addColumn("judge", "text", (c) => c.notNull())
          .addColumn("minute_ms", "integer", (c) => c.notNull())
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("created_by", "text", (c) => c.notNull())
          .addColumn("started_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("ramps_flag").on("ramps").columns(["flag_key", "started_at"]).execute();
        await sql`create unique index ramps_one_active on ramps (flag_key) where active = 1`.execute(db);
        await db.schema
          .createTable("ramp_leases")
          .addColumn("ramp_id", "text", (c) => c.primaryKey().references("ramps.id").onDelete("cascade"))
          .addColumn("owner", "text", (c) => c.notNull())
          .addColumn("expires_at", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("ramp_verdicts")
          .addColumn("id", serial, id)
          .addColumn("ramp_id", "text", (c) => c.notNull().references("ramps.id").onDelete("cascade"))
          .addColumn("flag_key", "text", (c) => c.notNull())
          .addColumn("at", "text", (c) => c.notNull())
          .addColumn("state", "text", (c) => c.notNull())
          .addColumn("action", "text", (c) => c.notNull())
          .addColumn("replica", "text", (c) => c.notNull())
          .addColumn("why", "text", (c) => c.notNull())
          .addColumn("data", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("ramp_verdicts_ramp").on("ramp_verdicts").columns(["ramp_id", "id"]).execute();
      },
    },
    // Business metrics (metrics/): definitions per flag, and per-minute windows merged like observation windows.
    "0006-business-metrics": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("metric_definitions")
          .addColumn("flag_key", "text", (c) => c.notNull())
          .addColumn("key", "text", (c) => c.notNull())
          .addColumn("data", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("metric_definitions_pk", ["flag_key", "key"])
          .execute();
        await db.schema
          .createTable("metric_windows")
          .addColumn("flag_key", "text", (c) => c.notNull())
          .addColumn("metric", "text", (c) => c.notNull())
          .addColumn("variant", "text", (c) => c.notNull())
          .addColumn("minute", "text", (c) => c.notNull())
          .addColumn("data", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("metric_windows_pk", ["flag_key", "metric", "variant", "minute"])
          .execute();
        await db.schema.createIndex("metric_windows_minute").on("metric_windows").column("minute").execute();
        await db.schema
          .createTable("exposure_windows")
          .addColumn("flag_key", "text", (c) => c.notNull())
          .addColumn("variant", "text", (c) => c.notNull())
          .addColumn("minute", "text", (c) => c.notNull())
          .addColumn("data", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("exposure_windows_pk", ["flag_key", "variant", "minute"])
          .execute();
        await db.schema.createIndex("exposure_windows_minute").on("exposure_windows").column("minute").execute();
      },
    },
    "0007-flag-judge-settings": {
      async up(db: Kysely<unknown>) {
        // Only the fields a flag sets (JSON); a deleted flag takes its settings with it.
        await db.schema
          .createTable("flag_judge_settings")
          .addColumn("flag_key", "text", (c) => c.primaryKey().references("flags.key").onDelete("cascade"))
          .addColumn("settings", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .addColumn("updated_by", "text", (c) => c.notNull())
          .execute();
        // Retention prunes old verdicts by time.
        await db.schema.createIndex("ramp_verdicts_at").on("ramp_verdicts").columns(["at"]).execute();
      },
    },
    "0008-observation-window-storage": {
      async up(db: Kysely<unknown>) {
        // Postgres compresses a value over ~2 KB (most windows) on every write, and a window is
        // rewritten each time a reporter's report of it merges in: out of line but uncompressed,
        // two replicas merged ~1.2× the windows per second on one Postgres (bench:ingest, 15×).
        // Retention keeps the table small, so the space is cheap. SQLite has no such setting.
        if (dialect === "postgres") await sql`ALTER TABLE observation_windows ALTER COLUMN data SET STORAGE EXTERNAL`.execute(db);
      },
    },
  };
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

/** Brings the schema up to date; throws with the failing migration's name and cause. */
export async function migrate(db: Db, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: new StaticProvider(dialect),
    migrationTableName: "darklaunch_migrations",
    migrationLockTableName: "darklaunch_migrations_lock",
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    // No migration ran: the store could not be reached at all, which is not a migration's fault.
    if (failed === undefined)
      throw (
        storeConnectionError(dialect, error) ??
        new Error(`cannot prepare the ${dialect} store: ${(error as Error).message ?? String(error)}`, { cause: error })
      );
    throw new Error(`migration ${failed} failed: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
}
