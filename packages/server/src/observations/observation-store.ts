import type { ObservationSource, ObservationWindow } from "@darklaunch/core";

/** Which stored windows to read: one flag, minutes in [since, until), optionally one source and route. */
export interface WindowQuery {
  flag: string;
  /** ISO minute, inclusive. */
  since: string;
  /** ISO time, exclusive. */
  until: string;
  source?: ObservationSource | undefined;
  route?: string | undefined;
}

/**
 * Where observation windows are kept. A window is identified by (flag, source, route, minute) and
 * every report for it is merged into the stored one (core `mergeWindows`), so any number of proxies
 * and SDK instances can report the same minute.
 */
export interface ObservationStore {
  /**
   * Merges every window into its stored row in one transaction: all are stored, or none. Two
   * concurrent calls for the same window both count.
   */
  merge(windows: readonly ObservationWindow[]): Promise<void>;
  /** The stored windows matching `query`, oldest minute first. */
  list(query: WindowQuery): Promise<ObservationWindow[]>;
  /** Deletes windows of minutes before `before` (ISO); returns how many (the retention runner). */
  prune(before: string): Promise<number>;
}
