/**
 * @darklaunch/sdk — gate code on darklaunch flags from Node.js. Evaluation is local and synchronous
 * on a snapshot that a server stream keeps current (docs/architecture.md#the-control-plane); the last good snapshot survives a
 * server outage in memory and, with `cachePath`, on disk (docs/operations.md).
 *
 * @example
 * import { createClient } from "@darklaunch/sdk";
 * const client = createClient({ url: "http://darklaunch:4700", token: process.env.DARKLAUNCH_SDK_TOKEN });
 * await client.ready();
 * client.isEnabled("checkout-v2", { id: "u42", country: "NL" });
 * // A dark path beside the current one: the caller always gets the control's answer.
 * const total = await client.experiment("pricing-v2", { id: "u42" }, { control: () => oldTotal(), candidate: () => newTotal() });
 */
export {
  type ChangeEvent,
  type ClientEvents,
  type ClientOptions,
  type ClientStatus,
  type Context,
  createClient,
  DarkLaunchClient,
  type ObservationOptions,
  type ObservationStats,
  type ReadyEvent,
  SDK_NAME,
  SDK_VERSION,
  type SnapshotSource,
  type StaleEvent,
  type UpdateStats,
} from "./client.js";
export { SdkError, type SdkErrorCode } from "./errors.js";
export type { ExperimentOptions, ExperimentStats } from "./experiment.js";
export type { MetricStats } from "./metric-tracker.js";
export type { ObservationReportStats } from "./observation-reporter.js";
export { DarkLaunchProvider } from "./openfeature-provider.js";
export type { TelemetryBatch, TelemetryCount, TelemetryOptions, TelemetrySample } from "./telemetry.js";
