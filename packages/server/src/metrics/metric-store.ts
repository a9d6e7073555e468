import type { ExposureWindow, MetricBatch, MetricDefinition, MetricWindow } from "@darklaunch/core";
import type { AuditStore } from "../audit/audit-store.js";

/**
 * Where business metrics are kept: each flag's metric definitions, and the per-minute metric and
 * exposure windows SDKs and the events endpoint report. A window is identified by its key (flag,
 * metric, variant, minute; exposures: flag, variant, minute) and every report for it is merged into
 * the stored one (core `mergeMetricWindows`, `mergeExposureWindows`), so any number of SDK instances
 * can report the same minute.
 */
export interface MetricStore {
  /** Definitions of one flag, or of every flag, ordered by flag and key. */
  definitions(flag?: string): Promise<MetricDefinition[]>;
  /** Creates or replaces a definition (its `createdAt` is kept when it exists). */
  putDefinition(definition: MetricDefinition): Promise<MetricDefinition>;
  /** Deletes a definition; false when there was none. */
  deleteDefinition(flag: string, key: string): Promise<boolean>;
  /** Merges every window into its stored row in one transaction: all are stored, or none. */
  merge(batch: Pick<MetricBatch, "exposures" | "windows">): Promise<void>;
  /** A flag's windows of minutes in [since, until), oldest first. */
  windows(flag: string, since: string, until: string): Promise<{ exposures: ExposureWindow[]; windows: MetricWindow[] }>;
  /** Deletes windows of minutes before `before` (ISO); returns how many (the retention runner). */
  prune(before: string): Promise<number>;
}

/** Runs `work` in one transaction over the metric and audit tables: a definition's write and its audit entry land together, or neither. */
export type MetricTransaction = <T>(work: (stores: { metrics: MetricStore; audit: AuditStore }) => Promise<T>) => Promise<T>;
