import type { TelemetryCount } from "@darklaunch/core";
import type { CountGroup, EvaluationFilter, EvaluationWrite } from "./evaluation-store.js";

/** One SDK report, validated: counts, samples (as log rows) and drops of one instance and interval. */
export interface TelemetryReport {
  instance: string;
  sdk?: { name: string; version: string };
  intervalStart: string;
  counts: readonly TelemetryCount[];
  samples: readonly EvaluationWrite[];
  dropped: number;
}

/**
 * Where SDK telemetry is kept: counts per instance and minute (`evaluation_counts`) and drops
 * (`telemetry_reports`), both owned by the evaluations domain; samples join the evaluations log.
 */
export interface TelemetryStore {
  /**
   * Merges one report in a single transaction: samples into the log, counts added to what the same
   * instance already sent for the minute, drops likewise.
   */
  merge(report: TelemetryReport): Promise<void>;
  /**
   * SDK evaluations counted but not sampled into the log, for stats over [since, until). Counts carry
   * no subject, so a subject filter leaves them out; they are all source `sdk`.
   */
  countGroups(filter: EvaluationFilter & { since: string; until: string }): Promise<CountGroup[]>;
  /** Drops an instance reported for one minute (0 when it reported none). */
  droppedIn(instance: string, minute: string): Promise<number>;
  /** Deletes count and report rows of minutes before `before` (ISO); returns how many. */
  prune(before: string): Promise<number>;
}
