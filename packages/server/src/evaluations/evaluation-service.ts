import { nextBefore } from "../query-params.js";
import type { Stores } from "../store/stores.js";
import type { EvaluationFilter, EvaluationQuery, EvaluationRecord, EvaluationWrite, Verdict } from "./evaluation-store.js";
import type { TelemetryReport } from "./telemetry-store.js";

/** Evaluations counted over a period, overall and per flag. */
export interface EvaluationStats {
  since: string;
  until: string;
  total: number;
  byVerdict: Record<Verdict, number>;
  byReason: Record<string, number>;
  /** Keyed by variant; `(none)` counts evaluations that served no variant (errors). */
  byVariant: Record<string, number>;
  flags: { flag: string; total: number; include: number; exclude: number; includeRate: number }[];
}

const NO_VARIANT = "(none)";

/**
 * The evaluations log and SDK telemetry: what the server, OFREP and SDK samples evaluated, plus the
 * SDKs' counts per instance and minute. Read back page by page or counted over a period.
 */
export class EvaluationService {
  /** `stores` are bound to the database. */
  constructor(private readonly stores: Stores) {}

  record(rows: readonly EvaluationWrite[]): Promise<void> {
    return this.stores.evaluations.record(rows);
  }

  /** Newest first; `nextBefore` pages on to older rows (null on the last page). */
  async list(query: EvaluationQuery): Promise<{ evaluations: EvaluationRecord[]; nextBefore: number | null }> {
    const evaluations = await this.stores.evaluations.list(query);
    return { evaluations, nextBefore: nextBefore(evaluations, query.limit) };
  }

  /** Merges one SDK telemetry report (counts, samples, drops) in one transaction. */
  mergeTelemetry(report: TelemetryReport): Promise<void> {
    return this.stores.telemetry.merge(report);
  }

  /** Drops an SDK instance reported for one minute. */
  droppedIn(instance: string, minute: string): Promise<number> {
    return this.stores.telemetry.droppedIn(instance, minute);
  }

  /**
   * Counts evaluations in [since, until) grouped over (flag, verdict, reason, variant), plus the SDKs'
   * telemetry counts (grouped alike) beyond their samples already in the log: every total below
   * comes from the same groups, so they always add up.
   */
  async stats(filter: EvaluationFilter & { since: string; until: string }): Promise<EvaluationStats> {
    const groups = await this.stores.evaluations.countGroups(filter);
    // SDK telemetry: what the services counted beyond the samples already in the log.
    groups.push(...(await this.stores.telemetry.countGroups(filter)));
    const stats: EvaluationStats = {
      since: filter.since,
      until: filter.until,
      total: 0,
      byVerdict: { include: 0, exclude: 0 },
      byReason: {},
      byVariant: {},
      flags: [],
    };
    const perFlag = new Map<string, { flag: string; total: number; include: number; exclude: number; includeRate: number }>();
    for (const group of groups) {
      const n = group.n;
      stats.total += n;
      const verdict: Verdict = group.verdict === "include" ? "include" : "exclude";
      stats.byVerdict[verdict] += n;
      stats.byReason[group.reason] = (stats.byReason[group.reason] ?? 0) + n;
      const variant = group.variant ?? NO_VARIANT;
      stats.byVariant[variant] = (stats.byVariant[variant] ?? 0) + n;
      let flag = perFlag.get(group.flag);
      if (!flag) {
        flag = { flag: group.flag, total: 0, include: 0, exclude: 0, includeRate: 0 };
        perFlag.set(group.flag, flag);
      }
      flag.total += n;
      flag[verdict] += n;
    }
    for (const flag of perFlag.values()) flag.includeRate = flag.total === 0 ? 0 : flag.include / flag.total;
    stats.flags = [...perFlag.values()].sort((a, b) => b.total - a.total || a.flag.localeCompare(b.flag));
    return stats;
  }
}
