const DAY_MS = 86_400_000;
/** Rows deleted per statement: each batch is a short transaction, so a huge backlog never holds a long lock. */
export const PRUNE_BATCH = 5_000;
const PRUNE_INTERVAL_MS = 3_600_000;

export interface PruneOptions {
  /** Rows per DELETE, for stores that delete in batches. */
  batchSize?: number;
  /** Checked between batches: true stops early (the server is closing). */
  stopped?: () => boolean;
}

/** A store whose old rows expire: it deletes those older than `before` (ISO) and says how many. */
export interface Prunable {
  prune(before: string, options?: PruneOptions): Promise<number>;
}

/**
 * Runs `deleteBatch(n)` (deletes up to n rows, answers how many) until a batch comes back short or
 * `stopped()` says the server is closing; answers how many rows were deleted in all.
 */
export async function pruneInBatches(deleteBatch: (batchSize: number) => Promise<number>, options: PruneOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? PRUNE_BATCH;
  let deleted = 0;
  for (;;) {
    const n = await deleteBatch(batchSize);
    deleted += n;
    if (n < batchSize || options.stopped?.()) return deleted;
    // better-sqlite3 is synchronous: yield to the event loop between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Prunes every store of rows older than `retentionDays`, one after the other, and returns how many
 * rows they deleted in all.
 *
 * @example
 * await pruneAll([stores.evaluations, stores.telemetry, stores.observations], 30);
 */
export async function pruneAll(
  stores: readonly Prunable[],
  retentionDays: number,
  options: PruneOptions & { now?: number } = {},
): Promise<number> {
  const before = new Date((options.now ?? Date.now()) - retentionDays * DAY_MS).toISOString();
  let deleted = 0;
  for (const store of stores) deleted += await store.prune(before, { batchSize: options.batchSize, stopped: options.stopped });
  return deleted;
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
 * The one retention runner: prunes every store now and then every hour. The timer is unref'd: it
 * never keeps the process alive on its own.
 */
export function startRetention(stores: readonly Prunable[], retentionDays: number, options: RetentionOptions = {}): RetentionJob {
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
    throw new Error(`evaluationRetentionDays must be a positive number of days, not ${retentionDays}`);
  }
  let stopped = false;
  let running: Promise<void> | undefined;
  const run = () => {
    if (stopped || running) return;
    running = pruneAll(stores, retentionDays, { batchSize: options.batchSize, stopped: () => stopped })
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
