import type { PruneOptions } from "../store/retention.js";

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

/** Evaluations counted per (flag, verdict, reason, variant): what stats add up. */
export interface CountGroup {
  flag: string;
  verdict: string;
  reason: string;
  variant: string | null;
  n: number;
}

/** Where the evaluations log is kept; the evaluations domain owns the `evaluations` table. */
export interface EvaluationStore {
  /** Records evaluations; more than one insert's worth is still one transaction. */
  record(rows: readonly EvaluationWrite[]): Promise<void>;
  /** Newest first (by id, which follows insertion order). */
  list(query: EvaluationQuery): Promise<EvaluationRecord[]>;
  /** The log counted per (flag, verdict, reason, variant) in one scan. */
  countGroups(filter: EvaluationFilter): Promise<CountGroup[]>;
  /**
   * Deletes evaluations recorded before `before` (ISO) in batches of at most `batchSize` rows,
   * yielding between them; returns how many.
   */
  prune(before: string, options?: PruneOptions): Promise<number>;
}
