import type { AlertService } from "./alerts/alert-service.js";
import type { AuditService } from "./audit/audit-service.js";
import type { EvaluationService } from "./evaluations/evaluation-service.js";
import type { FlagService } from "./flags/flag-service.js";
import type { JudgeSettingsService } from "./judge-settings/judge-settings-service.js";
import type { MetricService } from "./metrics/metric-service.js";
import type { ObservationService } from "./observations/observation-service.js";
import type { OverrideService } from "./overrides/override-service.js";
import type { RampService } from "./ramps/ramp-service.js";
import type { RulesetCache } from "./ruleset/ruleset-cache.js";
import type { SdkStreams } from "./sdk/sdk-streams.js";
import type { SegmentService } from "./segments/segment-service.js";
import type { Dialect } from "./store/database.js";
import type { TokenService } from "./tokens/token-service.js";

/**
 * What route modules are given: every domain's service, built once in the composition root. Route
 * modules use these and nothing else; they never build a service or touch the store.
 */
export interface ServerContext {
  flags: FlagService;
  segments: SegmentService;
  overrides: OverrideService;
  tokens: TokenService;
  audit: AuditService;
  evaluations: EvaluationService;
  observations: ObservationService;
  rulesets: RulesetCache;
  /** The SDK event streams of this replica, fed by every replica's config writes. */
  sdkStreams: SdkStreams;
  /** Which database the store is (readiness reports it). */
  dialect: Dialect;
  /** How many days the evaluations log keeps (docs/architecture.md#the-control-plane; default 30). */
  evaluationRetentionDays: number;
  /** Webhook alerts: destinations, deliveries, and `notify` for the judge and the ramps. */
  alerts: AlertService;
  /** Business metrics: definitions per flag, their windows and events (docs/architecture.md#business-metrics). */
  metrics: MetricService;
  /** Ramps: plans run step by step on the judge's verdicts; the verdict and analysis of any flag. */
  ramps: RampService;
  /** Per-flag judge settings: what the verdict, analysis, Prometheus and ramps judge a flag with. */
  judgeSettings: JudgeSettingsService;
}
