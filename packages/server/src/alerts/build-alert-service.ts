import type { FlagService } from "../flags/flag-service.js";
import type { Database } from "../store/database.js";
import { AlertDispatcher, type DispatcherOptions } from "./alert-dispatcher.js";
import { AlertService, type AlertServiceOptions } from "./alert-service.js";
import { KyselyAlertStore } from "./kysely-alert-store.js";

/** Alert tuning a server takes (`ServerOptions.alerts`). */
export interface AlertOptions
  extends Omit<DispatcherOptions, "allowPrivate" | "onError">,
    Omit<AlertServiceOptions, "allowPrivateTargets"> {}

/** The alerts domain on a store: Kysely store → dispatcher → service. */
export function buildAlertService(
  database: Database,
  flags: FlagService,
  options: AlertOptions & { allowPrivateTargets?: boolean | undefined; onError?: DispatcherOptions["onError"] },
): AlertService {
  const store = new KyselyAlertStore(database);
  const dispatcher = new AlertDispatcher(store, {
    retry: options.retry,
    allowPrivate: options.allowPrivateTargets,
    wait: options.wait,
    random: options.random,
    now: options.now,
    onError: options.onError,
  });
  return new AlertService(store, flags, dispatcher, {
    allowPrivateTargets: options.allowPrivateTargets,
    dedupWindowMs: options.dedupWindowMs,
    now: options.now,
  });
}
