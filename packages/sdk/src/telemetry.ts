import {
  type EvaluationResult,
  positive,
  type Snapshot,
  sharedSlot,
  type TelemetryBatch,
  type TelemetryCount,
  type TelemetrySample,
} from "@darklaunch/core";

export type { TelemetryBatch, TelemetryCount, TelemetrySample } from "@darklaunch/core";

export interface TelemetryOptions {
  /** How often counts are sent, in ms (default 60 000). */
  intervalMs?: number;
  /**
   * The most rows (distinct counts plus samples) held, unsent, at once (default 10 000). When full,
   * the oldest unsent batch is dropped first; what is lost is counted in `dropped`. At most 10 000
   * (the server's limit of counts per batch).
   */
  maxBuffer?: number;
  /** Samples of excluded evaluations kept per interval (default 100, at most 1 000; 0 or false: none). */
  sampleExcluded?: number | boolean;
}

interface Interval {
  start: number;
  counts: Map<string, TelemetryCount>;
  samples: TelemetrySample[];
  rows: number;
}

/**
 * Aggregates evaluations per (flag, variant, reason) and interval, plus a capped sample of excluded
 * ones, and sends them in batches. `record` is synchronous and O(1): the caller is never blocked,
 * and a send that fails keeps its batch for the next try within the same bounded buffer.
 */
export class Telemetry {
  private readonly intervalMs: number;
  private readonly maxBuffer: number;
  private readonly maxSamples: number;
  private current: Interval;
  private readonly unsent: TelemetryBatch[] = [];
  private unsentRows = 0;
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  /**
   * Evaluations not yet in a row, per shared result of `tallied` (indexed by `sharedSlot`): counting
   * is one increment, with no lookup. Folded into the interval's rows when it closes and when the
   * snapshot changes.
   */
  private tally = new Float64Array(0);
  private tallied: Snapshot | undefined;

  constructor(
    options: TelemetryOptions,
    private readonly meta: { instance: string; sdk: { name: string; version: string } },
    private readonly send: (batch: TelemetryBatch) => Promise<void>,
    private readonly onError: (error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.intervalMs = positive(options.intervalMs, 60_000);
    this.maxBuffer = Math.min(10_000, positive(options.maxBuffer, 10_000));
    const samples = options.sampleExcluded;
    this.maxSamples =
      samples === false ? 0 : samples === true || samples === undefined ? 100 : Math.min(1_000, Math.max(0, Math.floor(samples)));
    this.current = this.newInterval();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Counts one evaluation of `snapshot`, whose result it shares with every evaluation that ends the
   * same way (what `Snapshot.decide` returns): this allocates nothing unless the snapshot changed.
   * Returns true when the evaluation should be sampled: then call `sample` with its full result.
   */
  count(snapshot: Snapshot, result: EvaluationResult<unknown>): boolean {
    if (snapshot !== this.tallied) this.tallyFor(snapshot);
    const slot = sharedSlot(result);
    if (slot >= 0) this.tally[slot]!++;
    else this.countOnce(result);
    return !result.included && result.reason !== "ERROR" && this.current.samples.length < this.maxSamples;
  }

  /** Counts one evaluation whose result was built for it (an error): found by key. */
  countOnce(result: EvaluationResult<unknown>): void {
    this.add(result, 1);
  }

  /** Adds evaluations to their row in this interval, or to `dropped` when there is no room for it. */
  private add(result: EvaluationResult<unknown>, evaluations: number): void {
    const row = this.row(result);
    if (row !== undefined) row.count += evaluations;
    else this.dropped += evaluations;
  }

  /** The row counting (flag, variant, reason) in this interval, made when missing; undefined when there is no room. */
  private row(result: EvaluationResult<unknown>): TelemetryCount | undefined {
    const current = this.current;
    const key = `${result.flagKey}\u0000${result.variant ?? ""}\u0000${result.reason}`;
    const existing = current.counts.get(key);
    if (existing !== undefined) return existing;
    if (!this.makeRoom()) return undefined;
    const row: TelemetryCount = {
      flag: result.flagKey,
      variant: result.variant ?? null,
      reason: result.reason,
      included: result.included,
      count: 0,
    };
    current.counts.set(key, row);
    current.rows++;
    return row;
  }

  /** Keeps a sample of an excluded evaluation (after `count` asked for it), with its full result. */
  sample(result: EvaluationResult<unknown>, subject: string | undefined): void {
    const current = this.current;
    if (current.samples.length < this.maxSamples && this.makeRoom()) {
      current.samples.push({
        at: new Date(this.now()).toISOString(),
        flag: result.flagKey,
        flagVersion: result.flagVersion ?? null,
        subject: subject ?? null,
        variant: result.variant ?? null,
        reason: result.reason,
        position: result.position ?? null,
        included: false,
      });
      current.rows++;
    }
  }

  /** Closes the current interval and sends everything unsent; resolves when the send is over. */
  async flush(): Promise<void> {
    if (this.sending) await this.sending;
    this.rotate();
    if (this.unsent.length === 0) return;
    this.sending = this.sendAll().finally(() => {
      this.sending = undefined;
    });
    await this.sending;
  }

  private async sendAll(): Promise<void> {
    while (this.unsent.length > 0) {
      const batch = this.unsent[0]!;
      // Drops counted since this batch was queued travel with it.
      const dropped = this.dropped;
      try {
        await this.send({ ...batch, dropped });
      } catch (error) {
        this.onError(error);
        return;
      }
      this.dropped -= dropped;
      if (this.unsent[0] === batch) {
        this.unsent.shift();
        this.unsentRows -= batch.counts.length + batch.samples.length;
      }
    }
  }

  /** Starts counting `snapshot`'s results, after folding what was counted of the one before. */
  private tallyFor(snapshot: Snapshot): void {
    this.fold();
    this.tallied = snapshot;
    this.tally = new Float64Array(snapshot.shared.size);
  }

  /** Moves the tally into the current interval's rows (found by key, so snapshots merge). */
  private fold(): void {
    const snapshot = this.tallied;
    if (snapshot === undefined) return;
    const tally = this.tally;
    for (let slot = 0; slot < tally.length; slot++) {
      const evaluations = tally[slot]!;
      if (evaluations === 0) continue;
      tally[slot] = 0;
      this.add(snapshot.shared.at(slot)!, evaluations);
    }
  }

  private rotate(): void {
    this.fold();
    const current = this.current;
    this.current = this.newInterval();
    if (current.rows === 0) return;
    this.unsent.push({
      ...this.meta,
      intervalStart: new Date(current.start).toISOString(),
      intervalEnd: new Date(this.now()).toISOString(),
      counts: [...current.counts.values()],
      samples: current.samples,
      dropped: 0,
    });
    this.unsentRows += current.rows;
  }

  /** Frees a row by dropping the oldest unsent batch when the buffer is full; false if it cannot. */
  private makeRoom(): boolean {
    while (this.unsentRows + this.current.rows >= this.maxBuffer) {
      const oldest = this.unsent.shift();
      if (!oldest) return false;
      this.unsentRows -= oldest.counts.length + oldest.samples.length;
      this.dropped += oldest.counts.reduce((sum, c) => sum + c.count, 0);
    }
    return true;
  }

  private newInterval(): Interval {
    return { start: this.now(), counts: new Map(), samples: [], rows: 0 };
  }
}
