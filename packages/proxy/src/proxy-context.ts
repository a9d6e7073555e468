import type { ComparisonObservation, ComparisonVerdict, PairedObservation, RequestObservation, Side } from "@darklaunch/core";
import type { ComparisonQueue } from "./comparison-queue.js";
import type { BackendRole, ProxyMetrics } from "./proxy-metrics.js";
import type { ProxyStats } from "./proxy-stats.js";

/** Where observations go: the SDK client's `ObservationRecorder` fits. */
export interface ObservationSink {
  recordRequest(observation: RequestObservation): void;
  /** A mirrored request: stable's and dark's outcome in one window (a request on each side and the pair). */
  recordPair(observation: PairedObservation): void;
  /**
   * A mirror meant and ended without a pair (dropped, or stable's client left): the judge's mirror
   * loss. Optional, so that a sink written before it still fits: it then counts no loss.
   */
  recordLostMirror?(observation: { flag: string; route: string }): void;
  recordComparison(observation: ComparisonObservation): ComparisonVerdict;
  /** Reports the route every minute, with zero requests when none came (so quiet differs from unreported). */
  watch?(flag: string, route: string): void;
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

/** A 5xx, no response or a broken-off one is an error. */
export function callFailed(outcome: CallOutcome): boolean {
  return outcome.failed === true || outcome.status === undefined || outcome.status >= 500;
}

/** Counts one backend call in metrics, stats and (for `side`) observations; returns whether it failed. */
export function recordCall(context: ProxyContext, outcome: CallOutcome): boolean {
  const error = callFailed(outcome);
  const { metrics, stats } = context;
  // Plain counters: folded into the prom-client series when /metrics is read.
  metrics.calls.count(outcome.route, outcome.role, outcome.status, error, outcome.latencyMs / 1000);
  stats.calls[outcome.role]++;
  if (error) stats.calls.errors[outcome.role]++;
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
  return error;
}
