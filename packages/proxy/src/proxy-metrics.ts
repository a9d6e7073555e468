import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Backend roles as metrics label them. */
export type BackendRole = "stable" | "dark" | "secondary";

/** Why a mirror was not sent, or its result not compared. */
export type DropReason = "inflight" | "rate" | "breaker" | "body_limit" | "queue";

export const DROP_REASONS: readonly DropReason[] = ["inflight", "rate", "breaker", "body_limit", "queue"];

/**
 * The proxy's Prometheus metrics, on a registry of its own (two proxies in one process never
 * collide). Names start with `darklaunch_proxy_`; label values are bounded (route names, backend
 * roles and URLs from the config, never request URLs).
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"side" | "route" | "status_class">;
  readonly errors: Counter<"side">;
  readonly duration: Histogram<"side">;
  readonly dropped: Counter<"reason">;
  readonly inflight: Gauge;
  readonly breakerState: Gauge<"backend">;
  readonly comparisons: Counter<"result">;
  readonly divergence: Gauge<"route">;
  readonly fallbacks: Counter<"route">;

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({
      name: "darklaunch_proxy_requests_total",
      help: "Responses from each backend, by route and status class (error: no response)",
      labelNames: ["side", "route", "status_class"],
      registers,
    });
    this.errors = new Counter({
      name: "darklaunch_proxy_errors_total",
      help: "Backend calls that failed: connection error, timeout or 5xx",
      labelNames: ["side"],
      registers,
    });
    this.duration = new Histogram({
      name: "darklaunch_proxy_request_duration_seconds",
      help: "Time from sending a request to a backend until its whole response was read",
      labelNames: ["side"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.dropped = new Counter({
      name: "darklaunch_proxy_mirrors_dropped_total",
      help: "Mirrors not sent or not compared: inflight bound, rate limit, open breaker, body over the limit, comparison queue full",
      labelNames: ["reason"],
      registers,
    });
    for (const reason of DROP_REASONS) this.dropped.inc({ reason }, 0);
    this.inflight = new Gauge({ name: "darklaunch_proxy_mirror_inflight", help: "Mirrored requests in flight", registers });
    this.breakerState = new Gauge({
      name: "darklaunch_proxy_breaker_state",
      help: "Circuit breaker per backend: 0 closed, 1 half-open, 2 open",
      labelNames: ["backend"],
      // Over cluster workers: the worst state any of them sees.
      aggregator: "max",
      registers,
    });
    this.comparisons = new Counter({
      name: "darklaunch_proxy_comparisons_total",
      help: "Stable and dark responses compared, by verdict (noise excluded)",
      labelNames: ["result"],
      registers,
    });
    for (const result of ["match", "mismatch"]) this.comparisons.inc({ result }, 0);
    this.divergence = new Gauge({
      name: "darklaunch_proxy_divergence_ratio",
      help: "Mismatched comparisons / all comparisons since start, per route",
      labelNames: ["route"],
      aggregator: "average",
      registers,
    });
    this.fallbacks = new Counter({
      name: "darklaunch_proxy_fallbacks_total",
      help: "Split-mode requests served by stable because dark could not be reached",
      labelNames: ["route"],
      registers,
    });
  }
}

/** `204` → `2xx`; no response → `error`. */
export function statusClass(status: number | undefined): string {
  return status === undefined ? "error" : `${Math.floor(status / 100)}xx`;
}
