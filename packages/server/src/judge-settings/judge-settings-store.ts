import type { AuditStore } from "../audit/audit-store.js";

/** A flag's stored judge settings: only the fields it sets. */
export interface StoredJudgeSettings {
  flag: string;
  settings: Record<string, unknown>;
  updatedAt: string;
  updatedBy: string;
}

/** Where per-flag judge settings are kept; this domain owns the `flag_judge_settings` table. */
export interface JudgeSettingsStore {
  get(flag: string): Promise<StoredJudgeSettings | undefined>;
  /** Inserts or replaces the flag's settings. */
  put(settings: StoredJudgeSettings): Promise<void>;
  /** Deletes the flag's settings; false when it had none. */
  remove(flag: string): Promise<boolean>;
}

/** Runs work in one transaction with the settings and audit stores bound to it: the write and its audit entry land together. */
export type JudgeSettingsTransaction = <T>(work: (stores: { settings: JudgeSettingsStore; audit: AuditStore }) => Promise<T>) => Promise<T>;
