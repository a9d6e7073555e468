import { pruneObservationWindows } from "../observations/kysely-observation-store.js";
import type { Db } from "../store/database.js";

const DAY_MS = 86_400_000;
/** Rows deleted per statement: each batch is a short transaction, so a huge backlog never holds a long lock. */
export const PRUNE_BATCH = 5_000;
export const PRUNE_INTERVAL_MS = 3_600_000;

export interface PruneOptions {
  /** The clock, in epoch milliseconds (default `Date.now()`). */
  now?: number;
  batchSize?: number;
  /** Checked between batches: true stops early (the server is closing). */
  stopped?: () => boolean;
}

/**
 * Deletes evaluations older than `retentionDays`, in batches of at most `batchSize` rows, then the SDK
 * count and report rows and the observation windows of minutes before the cutoff, and returns how
 * many rows it deleted. Between batches it yields to the event loop (better-sqlite3 is synchronous).
 *
 * @example
 * await pruneEvaluations(db, 30); // rows recorded more than 30 days ago are gone
 */
export async function pruneEvaluations(db: Db, retentionDays: number, options: PruneOptions = {}): Promise<number> {
  const cutoff = new Date((options.now ?? Date.now()) - retentionDays * DAY_MS).toISOString();
  const batchSize = options.batchSize ?? PRUNE_BATCH;
  let deleted = 0;
  for (;;) {
    // `id in (select … limit n)` bounds each DELETE on both SQLite and Postgres (neither needs DELETE … LIMIT).
    const result = await db
      .deleteFrom("evaluations")
      .where("id", "in", (eb) => eb.selectFrom("evaluations").select("id").where("at", "<", cutoff).limit(batchSize))
      .executeTakeFirst();
    const n = Number(result.numDeletedRows);
    deleted += n;
    if (n < batchSize || options.stopped?.()) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  // SDK counts and reports are already aggregated per instance and minute: few rows, one statement each.
  const counts = await db.deleteFrom("evaluation_counts").where("minute", "<", cutoff).executeTakeFirst();
  const reports = await db.deleteFrom("telemetry_reports").where("minute", "<", cutoff).executeTakeFirst();
  const observations = await pruneObservationWindows(db, cutoff);
  return deleted + Number(counts.numDeletedRows) + Number(reports.numDeletedRows) + observations;
}

export interface RetentionJob {
  /** Stops the timer and waits for a prune in progress to end (it stops after its current batch). */
  stop(): Promise<void>;
}

export interface RetentionOptions {
  intervalMs?: number;
  batchSize?: number;
  /** Told about each failed run; the job keeps going and tries again at the next interval. */
  onError?: (error: unknown) => void;
  /** Told how many rows each run deleted. */
  onPruned?: (deleted: number) => void;
}

/**
 * Prunes the evaluations log now and then every hour. The timer is unref'd: it never keeps the
 * process alive on its own.
 */
export function startEvaluationRetention(db: Db, retentionDays: number, options: RetentionOptions = {}): RetentionJob {
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
    throw new Error(`evaluationRetentionDays must be a positive number of days, not ${retentionDays}`);
  }
  let stopped = false;
  let running: Promise<void> | undefined;
  const run = () => {
    if (stopped || running) return;
    running = pruneEvaluations(db, retentionDays, { batchSize: options.batchSize, stopped: () => stopped })
      .then((deleted) => options.onPruned?.(deleted))
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(run, options.intervalMs ?? PRUNE_INTERVAL_MS);
  timer.unref();
  run();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
