import type { Flag } from "@darklaunch/core";

/** A flag as the API shows it: the flag itself plus its lifecycle fields. */
export interface FlagRecord extends Flag {
  archived: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The flag part of a record, as stored and served in snapshots. */
export function flagOf({ archived: _a, createdAt: _c, updatedAt: _u, ...flag }: FlagRecord): Flag {
  return flag;
}

/** Where flags are kept; the flags domain owns the `flags` table. */
export interface FlagStore {
  get(key: string): Promise<FlagRecord | undefined>;
  /** Every flag, archived ones too, ordered by key. */
  list(): Promise<FlagRecord[]>;
  /** The flags that are not archived (those in the ruleset), ordered by key. */
  listActive(): Promise<FlagRecord[]>;
  /** Which of `keys` name a flag (archived or not). */
  existing(keys: readonly string[]): Promise<Set<string>>;
  insert(flag: Flag, at: string): Promise<void>;
  /**
   * Writes `next` over the stored flag only if the stored version is still `expected`: the check and
   * the write are one statement, so of two concurrent writers exactly one wins.
   */
  update(next: Flag, expected: number, archived: boolean, at: string): Promise<boolean>;
  /** Deletes the flag if its version is still `expected`. */
  delete(key: string, expected: number): Promise<boolean>;
}
