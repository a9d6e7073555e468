import { Counter, Gauge, Registry } from "prom-client";

/** One series of a metric as prom-client's `get()` gives it. */
interface SeriesValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

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
  /** Backend call durations: counted in plain numbers per call, read by prom-client at scrape time. */
  readonly duration: CallDurations;
  readonly dropped: Counter<"reason">;
  readonly inflight: Gauge;
  readonly breakerState: Gauge<"backend">;
  readonly comparisons: Counter<"result">;
  readonly divergence: Gauge<"route">;
  readonly fallbacks: Counter<"route">;
  /** Where the request path counts its calls; folded into `requests` and `errors` when they are read. */
  readonly calls: CallCounts = new CallCounts(this);
  /**
   * The mirrors' counts in plain numbers, read by the gauges and folded into the counters at scrape
   * time: mirrors in flight, drops and verdicts not yet folded, and per route the comparisons made
   * and mismatched since start (the divergence ratio).
   */
  readonly mirrorCounts = {
    inflight: 0,
    dropped: { inflight: 0, rate: 0, breaker: 0, body_limit: 0, queue: 0 } as Record<DropReason, number>,
    match: 0,
    mismatch: 0,
    divergence: new Map<string, { total: number; mismatched: number }>(),
  };

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({
      name: "darklaunch_proxy_requests_total",
      help: "Responses from each backend, by route and status class (error: no response)",
      labelNames: ["side", "route", "status_class"],
      registers,
      collect: () => this.calls.fold(),
    });
    this.errors = new Counter({
      name: "darklaunch_proxy_errors_total",
      help: "Backend calls that failed: connection error, timeout or 5xx",
      labelNames: ["side"],
      registers,
      collect: () => this.calls.fold(),
    });
    this.duration = new CallDurations(
      "darklaunch_proxy_request_duration_seconds",
      "Time from sending a request to a backend until its whole response was read",
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
    this.registry.registerMetric(this.duration as never);
    this.dropped = new Counter({
      name: "darklaunch_proxy_mirrors_dropped_total",
      help: "Mirrors not sent or not compared: inflight bound, rate limit, open breaker, body over the limit, comparison queue full",
      labelNames: ["reason"],
      registers,
      collect: () => foldCounts(this.dropped, "reason", this.mirrorCounts.dropped, DROP_REASONS),
    });
    for (const reason of DROP_REASONS) this.dropped.inc({ reason }, 0);
    this.inflight = new Gauge({
      name: "darklaunch_proxy_mirror_inflight",
      help: "Mirrored requests in flight",
      registers,
      collect: () => this.inflight.set(this.mirrorCounts.inflight),
    });
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
      collect: () => foldCounts(this.comparisons, "result", this.mirrorCounts, VERDICTS),
    });
    for (const result of VERDICTS) this.comparisons.inc({ result }, 0);
    this.divergence = new Gauge({
      name: "darklaunch_proxy_divergence_ratio",
      help: "Mismatched comparisons / all comparisons since start, per route",
      labelNames: ["route"],
      aggregator: "average",
      registers,
      collect: () => {
        for (const [route, { total, mismatched }] of this.mirrorCounts.divergence)
          if (total > 0) this.divergence.set({ route }, mismatched / total);
      },
    });
    this.fallbacks = new Counter({
      name: "darklaunch_proxy_fallbacks_total",
      help: "Split-mode requests served by stable because dark could not be reached",
      labelNames: ["route"],
      registers,
    });
  }
}

const VERDICTS = ["match", "mismatch"] as const;

/** Adds what was counted in plain numbers under `keys` to `counter` (as the values of `label`), and zeroes them. */
function foldCounts<K extends string, L extends string>(
  counter: Counter<L>,
  label: L,
  counts: Record<K, number>,
  keys: readonly K[],
): void {
  for (const key of keys) {
    const n = counts[key];
    if (n === 0) continue;
    counts[key] = 0;
    const labels = {} as Record<L, string>;
    labels[label] = key;
    counter.inc(labels, n);
  }
}

const ROLES: readonly BackendRole[] = ["stable", "dark", "secondary"];
const STATUS_CLASSES = ["error", "1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/** Index of a status class in STATUS_CLASSES: no response → 0 (`error`). */
function classIndex(status: number | undefined): number {
  if (status === undefined) return 0;
  const c = Math.floor(status / 100);
  return c >= 1 && c <= 5 ? c : 0;
}

/**
 * Per-call counts kept in plain numbers on the request path (no label objects, no hashing) and
 * folded into the prom-client counters when they are read (`/metrics`, a cluster primary's
 * collection): the totals are the same, the cost per request is a few additions.
 */
export class CallCounts {
  /** Per route: [role × status class] requests and [role] errors not yet folded. */
  private readonly pending = new Map<string, { requests: number[]; errors: number[] }>();

  constructor(private readonly metrics: ProxyMetrics) {}

  count(route: string, role: BackendRole, status: number | undefined, failed: boolean, seconds: number): void {
    let slot = this.pending.get(route);
    if (slot === undefined) {
      slot = { requests: new Array(ROLES.length * STATUS_CLASSES.length).fill(0), errors: [0, 0, 0] };
      this.pending.set(route, slot);
    }
    const r = role === "stable" ? 0 : role === "dark" ? 1 : 2;
    (slot.requests[r * STATUS_CLASSES.length + classIndex(status)] as number)++;
    if (failed) (slot.errors[r] as number)++;
    this.metrics.duration.observe(r, seconds);
  }

  /** Moves what was counted since the last fold into the prom-client counters. */
  fold(): void {
    const { requests, errors } = this.metrics;
    for (const [route, slot] of this.pending) {
      for (let i = 0; i < slot.requests.length; i++) {
        const n = slot.requests[i] as number;
        if (n === 0) continue;
        slot.requests[i] = 0;
        const side = ROLES[Math.floor(i / STATUS_CLASSES.length)] as BackendRole;
        requests.inc({ side, route, status_class: STATUS_CLASSES[i % STATUS_CLASSES.length] as string }, n);
      }
      for (let r = 0; r < ROLES.length; r++) {
        const n = slot.errors[r] as number;
        if (n === 0) continue;
        slot.errors[r] = 0;
        errors.inc({ side: ROLES[r] as BackendRole }, n);
      }
    }
  }
}

/**
 * The call-duration histogram (labelled by backend role) in plain arrays: `observe` is a bucket
 * search and three additions. It is a prom-client metric of its own (the registry and a cluster's
 * aggregation read it through `get()`), with the series prom-client's Histogram would give.
 */
export class CallDurations {
  readonly type = "histogram";
  readonly aggregator = "sum";
  /** Per role: cumulative-later bucket counts (the last one is +Inf), sum and count. */
  private readonly buckets: number[][];
  private readonly sums = [0, 0, 0];
  private readonly counts = [0, 0, 0];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
  ) {
    this.buckets = ROLES.map(() => new Array(upperBounds.length + 1).fill(0));
  }

  /** One call of role index `role` (0 stable, 1 dark, 2 secondary) that took `seconds`. */
  observe(role: number, seconds: number): void {
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    ((this.buckets[role] as number[])[i] as number)++;
    this.sums[role] = (this.sums[role] as number) + seconds;
    this.counts[role] = (this.counts[role] as number) + 1;
  }

  async get(): Promise<{ name: string; help: string; type: "histogram"; aggregator: "sum"; values: SeriesValue[] }> {
    const values: SeriesValue[] = [];
    for (let r = 0; r < ROLES.length; r++) {
      // A role never called has no series, as with prom-client's Histogram.
      if (this.counts[r] === 0) continue;
      const side = ROLES[r] as BackendRole;
      const counts = this.buckets[r] as number[];
      let cumulative = 0;
      for (let i = 0; i <= this.upperBounds.length; i++) {
        cumulative += counts[i] as number;
        const le = i === this.upperBounds.length ? "+Inf" : (this.upperBounds[i] as number);
        values.push({ labels: { le, side }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { side }, value: this.sums[r] as number, metricName: `${this.name}_sum` });
      values.push({ labels: { side }, value: this.counts[r] as number, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: "histogram", aggregator: "sum", values };
  }

  reset(): void {
    for (const b of this.buckets) b.fill(0);
    this.sums.fill(0);
    this.counts.fill(0);
  }
}
