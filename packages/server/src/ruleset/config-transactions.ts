import { announceCommittedChange } from "../sdk/change-notice.js";
import type { Database } from "../store/database.js";
import type { Stores, Transactor } from "../store/stores.js";

/**
 * Configuration writes (flags, segments, overrides). Each runs in one transaction that first bumps
 * the revision, which takes that row's lock: config writes are serialized across all replicas, so
 * each one validates against the state it changes. Any error rolls everything back, revision
 * included; after a commit the change is announced to this replica's SDK streams.
 */
export class ConfigTransactions {
  constructor(
    private readonly transactor: Transactor,
    private readonly database: Database,
  ) {}

  async run<T>(write: (stores: Stores) => Promise<T>): Promise<T> {
    const result = await this.transactor.transaction(async (stores) => {
      await stores.revision.bump();
      return write(stores);
    });
    announceCommittedChange(this.database);
    return result;
  }
}
