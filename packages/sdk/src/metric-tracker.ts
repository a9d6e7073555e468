import {
  attributeEvent,
  collapseByKey,
  type ExposureWindow,
  exposureKey,
  MAX_METRIC_WINDOWS_PER_BATCH,
  type MetricBatch,
  MetricCounter,
  type MetricDefinition,
  MetricListResponse,
  type MetricWindow,
  mergeExposureWindows,
  mergeMetricWindows,
  metricWindowKey,
  type Snapshot,
  subjectText,
} from "@darklaunch/core";
import { SdkError } from "./errors.js";
import { type PostTarget, postFailed, postJson } from "./http-post.js";

/** Windows (metric and exposure) kept for the next flush while the server is away, at most. */
export const MAX_PENDING_METRIC_WINDOWS = 10_000;

type Windows = Pick<MetricBatch, "exposures" | "windows">;

/** What happened to business-metric reporting so far (`client.metricStats()`). */
export interface MetricStats {
  /** Events tracked and attributed to at least one metric. */
  trackedEvents: number;
  /** Events tracked that no metric watches (or whose context had no subject). */
  unattributedEvents: number;
  /** Windows (metric and exposure) sent and accepted. */
  sentWindows: number;
  /**
   * Posts that failed. After a passing failure (no answer, 5xx, 429) their windows are put back
   * and sent with the next flush; after a refusal (another 4xx) they are dropped (`rejectedWindows`).
   */
  failedPosts: number;
  /** Windows the server refused (a 4xx other than 429): dropped, not sent again. */
  rejectedWindows: number;
  /** Windows dropped because more than `MAX_PENDING_METRIC_WINDOWS` waited for the server (the oldest minutes go first). */
  droppedWindows: number;
  /** Windows put back after a failed post, waiting for the next flush. */
  pendingWindows: number;
}

/** Every counter at zero: a new tracker's, and an offline client's. */
export function noMetricStats(): MetricStats {
  return {
    trackedEvents: 0,
    unattributedEvents: 0,
    sentWindows: 0,
    failedPosts: 0,
    rejectedWindows: 0,
    droppedWindows: 0,
    pendingWindows: 0,
  };
}

/**
 * Business metrics in the SDK (docs/architecture.md#business-metrics). The metric definitions are
 * fetched from `GET /api/v1/sdk/metrics` when the client goes live and again at every flush (so a new
 * metric is picked up within one flush interval); `track()` attributes an event to the variant the
 * same context gets now, for every flag with a metric on that event; evaluations of flags that have
 * metrics count distinct exposed subjects. Windows are posted per minute to `/api/v1/sdk/metrics`,
 * with empty windows for every watched (flag, metric, variant) so that a quiet minute is reported.
 * A post that fails for a passing reason (no answer, 5xx, 429) is put back and merged into the next
 * flush's windows, as observations are (observation-reporter.ts), at most `MAX_PENDING_METRIC_WINDOWS`
 * windows; one the server refuses is dropped, counted and reported.
 */
export class MetricTracker {
  private definitions: MetricDefinition[] = [];
  /** Flags with at least one metric: only their evaluations count exposures. */
  private watched = new Set<string>();
  private readonly counter = new MetricCounter();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** Windows of failed posts, merged into the next flush's. */
  private pending: Windows = { exposures: [], windows: [] };
  readonly stats: MetricStats = noMetricStats();

  constructor(
    private readonly target: PostTarget,
    private readonly instance: string,
    private readonly snapshot: () => Snapshot | undefined,
    private readonly now: () => number,
    private readonly report: (error: SdkError) => void,
    private readonly intervalMs: number,
    private readonly maxPendingWindows = MAX_PENDING_METRIC_WINDOWS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** True when evaluations of `flagKey` count exposures (the hot path asks this first). */
  watches(flagKey: string): boolean {
    return this.watched.has(flagKey);
  }

  /** Counts one evaluation that served `variant` to the context's subject. */
  expose(snapshot: Snapshot, flagKey: string, variant: string | undefined, context: unknown): void {
    if (variant === undefined || typeof context !== "object" || context === null) return;
    const subject = subjectText(context as Record<string, unknown>, snapshot.flag(flagKey)?.bucketBy ?? "id");
    if (subject !== undefined) this.counter.expose(flagKey, variant, subject, this.now());
  }

  track(event: string, context: unknown, value: number | undefined): void {
    const snapshot = this.snapshot();
    const attributions = snapshot === undefined ? [] : attributeEvent(snapshot, this.definitions, event, context);
    if (attributions.length === 0) {
      this.stats.unattributedEvents++;
      return;
    }
    this.stats.trackedEvents++;
    const at = this.now();
    for (const attribution of attributions) this.counter.track(attribution, value, at);
  }

  /** Loads the metric definitions now; a failure keeps the ones held and is reported. */
  async refresh(): Promise<void> {
    try {
      const response = await this.target.fetch(`${this.target.url}/api/v1/sdk/metrics`, {
        headers: { authorization: `Bearer ${this.target.token}` },
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status === 404) {
        // A server without business metrics (older than this client): nothing to attribute, not an error.
        await response.body?.cancel().catch(() => {});
        this.definitions = [];
        this.watched = new Set();
        return;
      }
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {});
        throw new SdkError("METRICS_FAILED", `GET /api/v1/sdk/metrics answered HTTP ${response.status}`, response.status);
      }
      const parsed = MetricListResponse.safeParse(await response.json());
      if (!parsed.success) throw new SdkError("METRICS_FAILED", "GET /api/v1/sdk/metrics answered with no metric list");
      this.definitions = parsed.data.metrics;
      this.watched = new Set(this.definitions.map((m) => m.flagKey));
    } catch (error) {
      this.report(error instanceof SdkError ? error : new SdkError("METRICS_FAILED", `cannot load metrics: ${(error as Error).message}`));
    }
  }

  /** Sends the minute's windows (empty ones for quiet metrics included), then reloads the definitions. */
  flush(): Promise<void> {
    this.flushing ??= this.send().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async send(): Promise<void> {
    const snapshot = this.snapshot();
    if (snapshot !== undefined) {
      const covered = this.definitions.flatMap((m) => {
        const flag = snapshot.flag(m.flagKey);
        return flag === undefined ? [] : [{ flag: m.flagKey, metric: m.key, variants: Object.keys(flag.variants) }];
      });
      this.counter.cover(covered, this.now());
    }
    const drained = this.counter.drain();
    // Windows of failed posts and this flush's of the same key are sent as one (they merge exactly).
    const exposures = collapseByKey([...this.pending.exposures, ...drained.exposures], exposureKey, mergeExposureWindows);
    const windows = collapseByKey([...this.pending.windows, ...drained.windows], metricWindowKey, mergeMetricWindows);
    this.pending = { exposures: [], windows: [] };
    this.stats.pendingWindows = 0;
    // The server takes at most MAX_METRIC_WINDOWS_PER_BATCH of each kind in one post.
    for (let i = 0; i < Math.max(exposures.length, windows.length); i += MAX_METRIC_WINDOWS_PER_BATCH) {
      const batch: MetricBatch = {
        instance: this.instance,
        exposures: exposures.slice(i, i + MAX_METRIC_WINDOWS_PER_BATCH),
        windows: windows.slice(i, i + MAX_METRIC_WINDOWS_PER_BATCH),
      };
      try {
        const answer = (await postJson(this.target, "/api/v1/sdk/metrics", batch, "METRICS_FAILED")) as { minuteMs?: unknown } | undefined;
        // A server run with short minutes (tests, demos) takes windows of its own length.
        if (typeof answer?.minuteMs === "number" && answer.minuteMs > 0 && answer.minuteMs <= 60_000)
          this.counter.minuteMs = answer.minuteMs;
        this.stats.sentWindows += batch.exposures.length + batch.windows.length;
      } catch (error) {
        const count = batch.exposures.length + batch.windows.length;
        if (postFailed(error, count, "metric", "METRICS_FAILED", this.stats, this.report)) {
          // The server is away or busy: keep this batch and the rest for the next flush (bounded).
          this.putBack({ exposures: exposures.slice(i), windows: windows.slice(i) });
          break;
        }
      }
    }
    // Stopped (closing): the last windows are sent, the definitions are not needed again.
    if (this.timer !== undefined) await this.refresh();
  }

  /** Keeps windows for the next flush; beyond `maxPendingWindows` the oldest minutes are dropped and counted. */
  private putBack(failed: Windows): void {
    const all = [...failed.exposures.map((w) => ({ w, exposure: true })), ...failed.windows.map((w) => ({ w, exposure: false }))];
    const excess = all.length - this.maxPendingWindows;
    if (excess > 0) {
      all.sort((a, b) => (a.w.start < b.w.start ? -1 : a.w.start > b.w.start ? 1 : 0));
      all.splice(0, excess);
      this.stats.droppedWindows += excess;
    }
    this.pending = {
      exposures: all.filter((e) => e.exposure).map((e) => e.w as ExposureWindow),
      windows: all.filter((e) => !e.exposure).map((e) => e.w as MetricWindow),
    };
    this.stats.pendingWindows = all.length;
  }
}
