import type { AlertService } from "./alerts/alert-service.js";
import type { FlagService } from "./flags/flag-service.js";
import type { RulesetCache } from "./ruleset/ruleset-store.js";
import type { SdkStreams } from "./sdk/sdk-streams.js";
import type { Database } from "./store/database.js";

/** What route modules are given: the store and the services built on it. */
export interface ServerContext {
  database: Database;
  rulesets: RulesetCache;
  flags: FlagService;
  /** The SDK event streams of this replica, fed by every replica's config writes. */
  sdkStreams: SdkStreams;
  /** How many days the evaluations log keeps (DESIGN §6; default 30). */
  evaluationRetentionDays: number;
  /** Webhook alerts: destinations, deliveries, and `notify` for the judge and the ramps. */
  alerts: AlertService;
}
