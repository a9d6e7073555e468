import { buildAlertService } from "./alerts/build-alert-service.js";
import { AuditService } from "./audit/audit-service.js";
import type { ServerContext } from "./context.js";
import { EvaluationService } from "./evaluations/evaluation-service.js";
import { FlagService } from "./flags/flag-service.js";
import { JudgeSettingsService } from "./judge-settings/judge-settings-service.js";
import { judgeSettingsTransaction, KyselyJudgeSettingsStore } from "./judge-settings/kysely-judge-settings-store.js";
import { KyselyMetricStore, metricTransaction } from "./metrics/kysely-metric-store.js";
import { MetricService } from "./metrics/metric-service.js";
import { ObservationService } from "./observations/observation-service.js";
import { OverrideService } from "./overrides/override-service.js";
import { KyselyRampStore } from "./ramps/kysely-ramp-store.js";
import { rampDataMinutes } from "./ramps/ramp-clock.js";
import { RampService } from "./ramps/ramp-service.js";
import { ConfigTransactions } from "./ruleset/config-transactions.js";
import { RulesetCache } from "./ruleset/ruleset-cache.js";
import { SegmentService } from "./segments/segment-service.js";
import type { Database } from "./store/database.js";
import { KyselyTransactor, kyselyStores } from "./store/kysely-stores.js";
import type { Prunable } from "./store/retention.js";
import type { Stores } from "./store/stores.js";
import { TokenService } from "./tokens/token-service.js";

export interface CompositionOptions {
  /** The clock flag schedules are evaluated against, in epoch ms (default `Date.now`). */
  now?: (() => number) | undefined;
  evaluationRetentionDays: number;
  /** Alert delivery tuning, whether webhooks may reach private addresses, and where delivery-log failures go. */
  alerts?: Parameters<typeof buildAlertService>[2] | undefined;
  /** The ramp minute in ms (default 60 000; tests and demos run whole ramps in seconds). */
  minuteMs?: number | undefined;
}

/** The services of one server, and what the server itself runs beside them. */
export interface Composition {
  context: Omit<ServerContext, "sdkStreams">;
  /** The stores whose old rows the retention runner prunes, in the order it prunes them. */
  retained: Prunable[];
}

/**
 * The one place services are built: every store on the database, then each domain's service on its
 * store and on the services of the domains it depends on. Route modules receive the result.
 *
 * @example
 * const { context } = composeServices(openDatabase({ sqlitePath: ":memory:" }), { evaluationRetentionDays: 30 });
 * await context.flags.list();
 */
export function composeServices(database: Database, options: CompositionOptions): Composition {
  const stores: Stores = kyselyStores(database.db, database.dialect);
  const transactor = new KyselyTransactor(database);
  const config = new ConfigTransactions(transactor, database);
  const flags = new FlagService(stores, config);
  const audit = new AuditService(stores.audit, flags);
  const rampStore = new KyselyRampStore(database);
  const dataMinutes = (keys: readonly string[]) => rampDataMinutes(rampStore, keys);
  const observations = new ObservationService(stores.observations, flags, { minuteMs: options.minuteMs, dataMinutes });
  const rulesets = new RulesetCache(stores, transactor, options.now);
  const metricStore = new KyselyMetricStore(database.db, database.dialect);
  const metrics = new MetricService(metricStore, metricTransaction(database), flags, rulesets, {
    now: options.now,
    minuteMs: options.minuteMs,
    dataMinutes,
  });
  const alerts = buildAlertService(database, flags, options.alerts ?? {});
  const judgeSettings = new JudgeSettingsService(new KyselyJudgeSettingsStore(database.db), judgeSettingsTransaction(database), flags);
  const ramps = new RampService(rampStore, { flags, observations, alerts, audit, metrics, judgeSettings }, { minuteMs: options.minuteMs });
  return {
    context: {
      flags,
      segments: new SegmentService(stores, config),
      overrides: new OverrideService(stores, config, flags),
      tokens: new TokenService(stores, transactor),
      audit,
      evaluations: new EvaluationService(stores),
      observations,
      rulesets,
      metrics,
      dialect: database.dialect,
      evaluationRetentionDays: options.evaluationRetentionDays,
      alerts,
      ramps,
      judgeSettings,
    },
    // Verdict history expires with the other logs (an active ramp keeps its own).
    retained: [...retainedStores(stores), metricStore, rampStore],
  };
}

/** The stores whose rows expire after the retention period, in the order the runner prunes them. */
export function retainedStores(stores: Stores): Prunable[] {
  return [stores.evaluations, stores.telemetry, stores.observations];
}
