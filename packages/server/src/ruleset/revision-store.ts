/**
 * The revision counts every configuration write, so it names one exact state of flags, segments and
 * overrides: snapshots are cached by it and ETags derive from it.
 */
export interface RevisionStore {
  /**
   * Adds one, inside a config transaction (which takes the row's lock: config writes are serialized
   * across replicas). On Postgres it also queues `NOTIFY darklaunch_changes`, delivered at commit.
   */
  bump(): Promise<void>;
  current(): Promise<number>;
}
