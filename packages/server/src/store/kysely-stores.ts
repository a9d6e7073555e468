import { KyselyAuditStore } from "../audit/kysely-audit-store.js";
import { KyselyEvaluationStore } from "../evaluations/kysely-evaluation-store.js";
import { KyselyTelemetryStore } from "../evaluations/kysely-telemetry-store.js";
import { KyselyFlagStore } from "../flags/kysely-flag-store.js";
import { KyselyObservationStore } from "../observations/kysely-observation-store.js";
import { KyselyOverrideStore } from "../overrides/kysely-override-store.js";
import { KyselyRevisionStore } from "../ruleset/kysely-revision-store.js";
import { KyselySegmentStore } from "../segments/kysely-segment-store.js";
import { KyselyTokenStore } from "../tokens/kysely-token-store.js";
import type { Database, Db, Dialect } from "./database.js";
import type { Stores, TransactionOptions, Transactor } from "./stores.js";

/** Every Kysely store on one executor (the database or a transaction). */
export function kyselyStores(db: Db, dialect: Dialect): Stores {
  return {
    flags: new KyselyFlagStore(db),
    segments: new KyselySegmentStore(db, dialect),
    overrides: new KyselyOverrideStore(db),
    tokens: new KyselyTokenStore(db, dialect),
    audit: new KyselyAuditStore(db),
    evaluations: new KyselyEvaluationStore(db),
    telemetry: new KyselyTelemetryStore(db),
    observations: new KyselyObservationStore(db, dialect),
    revision: new KyselyRevisionStore(db, dialect),
  };
}

/** Transactions over a Kysely database. */
export class KyselyTransactor implements Transactor {
  constructor(private readonly database: Database) {}

  transaction<T>(work: (stores: Stores) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    let tx = this.database.db.transaction();
    // Postgres' default (read committed) would let statements see different commits.
    if (options.isolation !== undefined && this.database.dialect === "postgres") tx = tx.setIsolationLevel(options.isolation);
    return tx.execute((trx) => work(kyselyStores(trx, this.database.dialect)));
  }
}
