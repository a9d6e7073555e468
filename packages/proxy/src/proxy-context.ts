import type { ComparisonObservation, ComparisonVerdict, RequestObservation, Side } from "@darklaunch/core";
import type { ComparisonQueue } from "./comparison-queue.js";
import type { BackendRole, ProxyMetrics } from "./proxy-metrics.js";
import { statusClass } from "./proxy-metrics.js";
import type { ProxyStats } from "./proxy-stats.js";

/** Where observations go: the SDK client's `ObservationRecorder` fits. */
export interface ObservationSink {
  recordRequest(observation: RequestObservation): void;
  recordComparison(observation: ComparisonObservation): ComparisonVerdict;
}

/** What the request path and the mirrors share within one running proxy. */
export interface ProxyContext {
  metrics: ProxyMetrics;
  stats: ProxyStats;
  observations: ObservationSink;
  queue: ComparisonQueue;
  /** Counts background work (a mirror) as started, so that close() waits for its `end()`. */
  begin(): void;
  end(): void;
  /** Reports an unexpected error (a bug): never thrown at a request. */
  warn(message: string, error?: unknown): void;
}

export interface CallOutcome {
  route: string;
  flag: string;
  role: BackendRole;
  latencyMs: number;
  /** The response status; undefined when none came (connection error, timeout). */
  status: number | undefined;
  /** The observation side this call is counted on, if any. */
  side: Side | undefined;
  /** Failed although a status came (the response broke off); a 5xx or no status fails anyway. */
  failed?: boolean;
}

/** Counts one backend call in metrics, stats and (for `side`) observations. A 5xx, no response or a broken-off one is an error. */
export function recordCall(context: ProxyContext, outcome: CallOutcome): void {
  const error = outcome.failed === true || outcome.status === undefined || outcome.status >= 500;
  const { metrics, stats } = context;
  metrics.requests.inc({ side: outcome.role, route: outcome.route, status_class: statusClass(outcome.status) });
  metrics.duration.observe({ side: outcome.role }, outcome.latencyMs / 1000);
  stats.calls[outcome.role]++;
  if (error) {
    metrics.errors.inc({ side: outcome.role });
    stats.calls.errors[outcome.role]++;
  }
  if (outcome.side !== undefined) {
    try {
      context.observations.recordRequest({
        flag: outcome.flag,
        route: outcome.route,
        side: outcome.side,
        latencyMs: outcome.latencyMs,
        error,
      });
    } catch (e) {
      context.warn("recording an observation failed", e);
    }
  }
}
