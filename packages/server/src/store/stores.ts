import type { AuditStore } from "../audit/audit-store.js";
import type { EvaluationStore } from "../evaluations/evaluation-store.js";
import type { TelemetryStore } from "../evaluations/telemetry-store.js";
import type { FlagStore } from "../flags/flag-store.js";
import type { ObservationStore } from "../observations/observation-store.js";
import type { OverrideStore } from "../overrides/override-store.js";
import type { RevisionStore } from "../ruleset/revision-store.js";
import type { SegmentStore } from "../segments/segment-store.js";
import type { TokenStore } from "../tokens/token-store.js";

/**
 * Every domain's store, bound to one executor: the database, or one transaction. A service reads
 * and writes its own domain through its own store; inside a shared transaction it reaches another
 * domain's rows through that domain's store interface (`tx.audit.record(…)`), never its tables.
 */
export interface Stores {
  flags: FlagStore;
  segments: SegmentStore;
  overrides: OverrideStore;
  tokens: TokenStore;
  audit: AuditStore;
  evaluations: EvaluationStore;
  telemetry: TelemetryStore;
  observations: ObservationStore;
  revision: RevisionStore;
}

export interface TransactionOptions {
  /** `repeatable read`: every statement sees the same commit (Postgres; SQLite always does). */
  isolation?: "repeatable read";
}

/** Runs work in one transaction with every store bound to it: all of its writes land, or none. */
export interface Transactor {
  transaction<T>(work: (stores: Stores) => Promise<T>, options?: TransactionOptions): Promise<T>;
}
