import type { Override } from "@darklaunch/core";

/** An override as the API shows it. */
export interface OverrideRecord {
  flag: string;
  subject: string;
  variant: string | null;
  source: Override["source"];
  createdAt: string;
}

/** Where per-subject overrides are kept; the overrides domain owns the `overrides` table. */
export interface OverrideStore {
  /** One flag's overrides, ordered by subject. */
  list(flag: string): Promise<OverrideRecord[]>;
  /** Every override, as the ruleset holds them, ordered by flag and subject. */
  listAll(): Promise<Override[]>;
  get(flag: string, subject: string): Promise<OverrideRecord | undefined>;
  /** Creates the override or replaces the one the subject has; `createdAt` stays when it was first set. */
  put(override: Override, at: string): Promise<void>;
  delete(flag: string, subject: string): Promise<boolean>;
  /** Deletes every override of a flag (the flag is being deleted). */
  deleteForFlag(flag: string): Promise<void>;
}
