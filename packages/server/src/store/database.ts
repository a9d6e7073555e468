import SQLite from "better-sqlite3";
import { type Generated, Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";

/** Timestamps are ISO 8601 UTC text (`toISOString()`): one format, sortable, on both databases. */
export interface Tables {
  flags: {
    key: string;
    version: number;
    archived: number;
    /** The whole flag (core `Flag`) as JSON. */
    data: string;
    created_at: string;
    updated_at: string;
  };
  segments: {
    key: string;
    version: number;
    description: string;
    /** The segment's conditions as JSON; its ids live in `segment_ids`. */
    conditions: string;
    created_at: string;
    updated_at: string;
  };
  segment_ids: { segment_key: string; subject: string };
  overrides: { flag: string; subject: string; variant: string | null; source: string; created_at: string };
  tokens: {
    id: string;
    name: string;
    scope: string;
    hash: string;
    created_at: string;
    last_used_at: string | null;
    revoked_at: string | null;
  };
  audit: {
    id: Generated<number>;
    at: string;
    actor: string;
    action: string;
    target_type: string;
    target_key: string;
    before: string | null;
    after: string | null;
  };
  evaluations: {
    id: Generated<number>;
    at: string;
    flag: string;
    flag_version: number | null;
    subject: string | null;
    variant: string | null;
    verdict: string;
    reason: string;
    position: number | null;
    source: string;
  };
  /**
   * SDK evaluation counts per instance and minute. `sampled` of `count` are also in `evaluations`
   * as samples, so the log plus `count - sampled` counts every evaluation once.
   */
  evaluation_counts: {
    instance: string;
    minute: string;
    flag: string;
    /** '' when no variant was served (an error). */
    variant: string;
    reason: string;
    verdict: string;
    count: number;
    sampled: number;
  };
  /** One row per SDK instance and minute: evaluations it dropped (bounded buffer), and what it is. */
  telemetry_reports: {
    instance: string;
    minute: string;
    dropped: number;
    sdk_name: string | null;
    sdk_version: string | null;
    received_at: string;
  };
  /**
   * Dark-launch observation windows (docs/architecture.md#dark-paths-and-observations), one row per flag, source, route and minute; `data`
   * holds the window's `{ baseline, dark, comparison, samples }` as JSON, merged on every report.
   */
  /** A flag's business metrics (`metrics/`): `data` is the core `MetricDefinition` as JSON. */
  metric_definitions: { flag_key: string; key: string; data: string; created_at: string; updated_at: string };
  /** Business-metric windows per flag, metric, variant and minute: `{ events, sum, sumSq, subjects }` as JSON. */
  metric_windows: { flag_key: string; metric: string; variant: string; minute: string; data: string; updated_at: string };
  /** Distinct subjects exposed per flag, variant and minute: `{ evaluations, subjects }` as JSON. */
  exposure_windows: { flag_key: string; variant: string; minute: string; data: string; updated_at: string };
  observation_windows: {
    flag_key: string;
    source: string;
    route: string;
    minute: string;
    data: string;
    updated_at: string;
  };
  /** Webhook alert destinations (`alerts/`): `flag` null means every flag; `secret` signs deliveries. */
  alert_destinations: {
    id: string;
    name: string;
    url: string;
    flag: string | null;
    /** JSON array of severities this destination takes (`["page","ticket"]`). */
    severities: string;
    format: string;
    secret: string;
    created_at: string;
  };
  /** One alert sent (or being sent) to one destination, with its latest outcome. */
  alert_deliveries: {
    id: string;
    destination_id: string;
    kind: string;
    flag: string | null;
    severity: string;
    dedup_key: string | null;
    /** The alert as JSON (what was sent, before the Slack rendering). */
    alert: string;
    status: string;
    attempts: number;
    last_status_code: number | null;
    last_error: string | null;
    created_at: string;
    updated_at: string;
  };
  /** Every HTTP attempt of a delivery. */
  alert_attempts: {
    delivery_id: string;
    attempt: number;
    started_at: string;
    finished_at: string;
    status_code: number | null;
    error: string | null;
  };
  /** De-duplication: a key sent to a destination is not sent again before `expires_at`. */
  alert_dedup: { destination_id: string; dedup_key: string; expires_at: string };
  /** Ramps (`ramps/`): `state` and `plan` are core's RampState and RampPlan as JSON; `active` is 1 while running or paused. */
  ramps: {
    id: string;
    flag_key: string;
    active: number;
    status: string;
    plan: string;
    state: string;
    dark_build: string | null;
    /** The judge settings given at the start (JSON; `{}` for the defaults). */
    judge: string;
    minute_ms: number;
    version: number;
    created_by: string;
    started_at: string;
    updated_at: string;
  };
  /** Which replica runs a ramp, until when. */
  ramp_leases: { ramp_id: string; owner: string; expires_at: string };
  /** Every verdict a ramp acted on: its numbers (`data`, the judge's verdict as JSON) and why. */
  ramp_verdicts: {
    id: Generated<number>;
    ramp_id: string;
    flag_key: string;
    at: string;
    state: string;
    action: string;
    /** The replica that judged it (the lease holder). */
    replica: string;
    why: string;
    data: string;
  };
  /** A flag's judge settings: only the fields it sets, as JSON. */
  flag_judge_settings: { flag_key: string; settings: string; updated_at: string; updated_by: string };
  /** `revision` counts every configuration write: snapshots and ETags follow it. */
  meta: { name: string; value: number };
}

export type Db = Kysely<Tables>;
export type Dialect = "sqlite" | "postgres";

export interface StoreOptions {
  /** Path of the SQLite file (default `./darklaunch.db`); `:memory:` for a throwaway store. */
  sqlitePath?: string;
  /** `postgres://…`: use Postgres instead of SQLite. */
  databaseUrl?: string;
}

export interface Database {
  readonly db: Db;
  readonly dialect: Dialect;
  /** Where the data lives, for the start-up banner (the password is never shown). */
  readonly location: string;
  close(): Promise<void>;
}

/** Opens the store: Postgres when a URL is given, else SQLite in WAL mode with full fsync. */
export function openDatabase(options: StoreOptions = {}): Database {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10, connectionTimeoutMillis: 5_000 });
    // An idle client that loses its server emits here; without a listener it would crash the process.
    pool.on("error", () => {});
    const url = new URL(options.databaseUrl);
    url.password = url.password ? "***" : "";
    const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: "postgres", location: url.toString(), close: () => db.destroy() };
  }
  const path = options.sqlitePath ?? "./darklaunch.db";
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(path);
  } catch (error) {
    throw new Error(`cannot open the SQLite store at ${path} (${sqliteCause(error)})`, { cause: error });
  }
  sqlite.pragma("journal_mode = WAL");
  // FULL: a write acknowledged to the client is on disk, even if the process is killed next.
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: "sqlite", location: path, close: () => db.destroy() };
}

/** better-sqlite3's reasons in a user's words; the driver's own text otherwise. */
function sqliteCause(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  if (/directory does not exist/i.test(message)) return "its directory does not exist";
  const code = (error as { code?: string }).code;
  if (code === "SQLITE_CANTOPEN") return `${message}: check that the path is a file you may write, in a directory that exists`;
  if (code === "SQLITE_NOTADB") return "it is not a SQLite database";
  return message;
}

const CONNECTION_CAUSES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
};

/**
 * The error a store that cannot be reached or opened becomes, naming the store and the cause:
 * `cannot reach Postgres at 127.0.0.1:1 (connection refused)`. Undefined for other errors.
 */
export function storeConnectionError(dialect: Dialect, error: unknown): Error | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, address, port, hostname } = error as { code?: string; address?: string; port?: number; hostname?: string };
  const message = (error as Error).message ?? "";
  if (dialect === "postgres") {
    const where = address !== undefined ? `${address}${port === undefined ? "" : `:${port}`}` : hostname;
    const at = where === undefined ? "Postgres" : `Postgres at ${where}`;
    if (code !== undefined && CONNECTION_CAUSES[code] !== undefined)
      return new Error(`cannot reach ${at} (${CONNECTION_CAUSES[code]})`, { cause: error });
    if (/timeout exceeded when trying to connect/i.test(message))
      return new Error(`cannot reach ${at} (no answer within 5 s)`, { cause: error });
    // 28xxx: authentication; 3D000: no such database; 08xxx: connection exceptions.
    if (code !== undefined && /^(28|3D|08)/.test(code)) return new Error(`Postgres refused the connection (${message})`, { cause: error });
    return undefined;
  }
  if (code === "SQLITE_CANTOPEN" || code === "SQLITE_NOTADB" || code === "SQLITE_READONLY")
    return new Error(`cannot use the SQLite store (${sqliteCause(error)})`, { cause: error });
  return undefined;
}
