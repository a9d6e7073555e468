import {
  type EvaluationResult,
  errorResult,
  ObservationRecorder,
  type Ruleset,
  type Snapshot,
  subjectText,
  type VariantValue,
} from "@darklaunch/core";
import { ClientEventHub, type ClientEvents, type ReadyEvent, type SnapshotSource } from "./client-events.js";
import { type ClientOptions, type ClientSettings, clientSettings, type ServerSettings } from "./client-options.js";
import { SdkError } from "./errors.js";
import { checkExperimentArguments, type ExperimentOptions, ExperimentRunner, type ExperimentStats } from "./experiment.js";
import { type PostTarget, postJson } from "./http-post.js";
import { CacheWriter, loadLastKnownGood } from "./last-known-good.js";
import { type MetricStats, MetricTracker, noMetricStats } from "./metric-tracker.js";
import { ObservationReporter, type ObservationReportStats } from "./observation-reporter.js";
import { Readiness } from "./readiness.js";
import { SnapshotHolder } from "./snapshot-holder.js";
import { Sync } from "./sync.js";
import { Telemetry } from "./telemetry.js";

export type { ChangeEvent, ClientEvents, ReadyEvent, SnapshotSource, StaleEvent } from "./client-events.js";
export type { ClientOptions, ObservationOptions } from "./client-options.js";
export type { MetricStats } from "./metric-tracker.js";

export const SDK_NAME = "@darklaunch/sdk";
export const SDK_VERSION = "0.1.0";

/** What happened to observations so far (`client.observationStats()`). */
export interface ObservationStats extends ObservationReportStats, ExperimentStats {
  /** Observations lost because `maxPendingWindows` windows were held (also windows put back that did not fit). */
  droppedObservations: number;
  /** Windows recorded and not yet sent. */
  pendingWindows: number;
}

/** What the client refused or left out of what the server sent (`client.updateStats()`). */
export interface UpdateStats {
  /** Stream messages (and polled snapshots) ignored because they were not JSON or did not match the protocol. */
  rejectedMessages: number;
  /** `patch` and `delete` messages ignored because their revision was not newer than the snapshot's. */
  staleMessages: number;
  /** Flags of the snapshot being served that could not be compiled: their evaluations return the caller's default. */
  skippedFlags: string[];
}

/** `live`: streaming; `polling`: the stream is down but polls answer; `stale`: the server is unreachable. */
export type ClientStatus = "starting" | "live" | "polling" | "stale" | "unauthorized" | "offline" | "closed";

/** The context of an evaluation: a flat object of attributes (`id` or `targetingKey` is the subject). */
export type Context = Readonly<Record<string, unknown>> | undefined;

/**
 * A darklaunch client: evaluates flags locally and synchronously on a compiled snapshot that a
 * server stream keeps current. Evaluation never throws and never waits for the network.
 *
 * @example
 * const client = createClient({ url: "http://darklaunch:4700", token: process.env.DARKLAUNCH_SDK_TOKEN });
 * await client.ready();
 * if (client.isEnabled("checkout-v2", { id: user.id, country: user.country })) newCheckout();
 */
export class DarkLaunchClient {
  /** The compiled snapshot every evaluation reads: the holder swaps it whole. */
  private snapshot: Snapshot | undefined;
  private readonly holder: SnapshotHolder;
  private statusValue: ClientStatus;
  private lastError: SdkError | undefined;
  private rejectedMessages = 0;
  private readonly events = new ClientEventHub();
  private readonly readiness = new Readiness();
  private readonly settings: ClientSettings;
  private readonly sync: Sync | undefined;
  private readonly telemetry: Telemetry | undefined;
  private readonly reporter: ObservationReporter | undefined;
  private readonly experiments: ExperimentRunner;
  private readonly cache: CacheWriter | undefined;
  /** Business metrics: `track()` and exposures of flags with metrics (undefined offline). */
  private readonly metrics: MetricTracker | undefined;
  /**
   * Where dark-path observations are recorded before they are sent: `experiment()` records here,
   * and so does a shadow proxy running in this process.
   */
  readonly observations: ObservationRecorder;

  constructor(options: ClientOptions = {}) {
    const settings = clientSettings(options);
    this.settings = settings;
    // Listeners attach after createClient returns: what goes wrong while starting is reported a tick later.
    const startupErrors: SdkError[] = [];
    let starting = true;
    const emitError = (error: SdkError) => {
      if (starting) startupErrors.push(error);
      else this.events.emit("error", error);
    };
    this.observations = new ObservationRecorder({
      source: settings.observationSource,
      now: settings.now,
      redactor: settings.redactor,
      maxWindows: settings.maxPendingWindows,
      ...(settings.observationMinuteMs === undefined ? {} : { minuteMs: settings.observationMinuteMs }),
    });
    this.experiments = new ExperimentRunner(this.observations, settings.maxInFlight, emitError);
    this.statusValue = settings.server ? "starting" : "offline";
    const cachePath = settings.cachePath;
    this.cache = cachePath === undefined ? undefined : new CacheWriter(cachePath, emitError);
    this.holder = new SnapshotHolder(settings.now, {
      installed: (snapshot) => {
        this.snapshot = snapshot;
      },
      served: (revision, ruleset) => this.cache?.save(revision, ruleset),
      change: (event) => this.events.emit("change", event),
      error: emitError,
    });

    startupErrors.push(...loadLastKnownGood(cachePath, settings.bootstrap, (payload, source) => this.holder.install(payload, source)));
    setImmediate(() => {
      starting = false;
      for (const error of startupErrors.splice(0)) this.events.emit("error", error);
    });

    const server = settings.server;
    if (!server) {
      this.settle();
      return;
    }
    this.readiness.deadline(settings.readyTimeoutMs, () => this.readyTimedOut());
    const target: PostTarget = { fetch: server.fetch, url: server.url, token: server.token };
    this.telemetry = startTelemetry(server, target, emitError, settings.now);
    if (server.observations) {
      this.reporter = new ObservationReporter(
        this.observations,
        server.instance,
        (batch, signal) => postJson(target, "/api/v1/observations", batch, "OBSERVATIONS_FAILED", signal),
        emitError,
        settings.observationFlushMs,
        settings.observationMinuteMs === undefined ? { flushFor: settings.observationFlushFor } : undefined,
      );
      this.reporter.start();
    }
    // Metric windows are flushed on the observations' interval: both are per-minute windows.
    this.metrics = new MetricTracker(target, server.instance, () => this.snapshot, settings.now, emitError, settings.observationFlushMs);
    this.metrics.start();
    this.sync = new Sync(
      {
        url: server.url,
        token: server.token,
        fetch: server.fetch,
        pollIntervalMs: server.pollIntervalMs,
        heartbeatTimeoutMs: server.heartbeatTimeoutMs,
        backoffBaseMs: server.backoffBaseMs,
        backoffCapMs: server.backoffCapMs,
        userAgent: `${SDK_NAME}/${SDK_VERSION}`,
      },
      {
        snapshot: (payload) => this.holder.put(payload),
        patch: (data) => this.holder.patch(data),
        remove: (data) => this.holder.delete(data),
        live: (via) => this.onLive(via),
        lost: (error, via) => this.onLost(error, via),
        fatal: (error) => this.onFatal(error),
        malformed: (error) => {
          this.rejectedMessages++;
          emitError(error);
        },
      },
    );
    this.sync.start();
  }

  /**
   * Resolves once a snapshot can be served: the server's, or — when the server cannot be reached —
   * the cache file's or the bootstrap's (`stale: true`). Rejects at once on a refused token, and
   * after `readyTimeoutMs` with the reason when there is nothing to serve.
   */
  ready(): Promise<ReadyEvent> {
    return this.readiness.promise;
  }

  /** Evaluates a flag with full detail (variant, reason, position, version); never throws. */
  evaluate<T extends VariantValue>(flagKey: string, context?: Context, defaultValue?: T): EvaluationResult<T | VariantValue | undefined> {
    const snapshot = this.snapshot;
    if (typeof flagKey !== "string") {
      return errorResult({
        flagKey: String(flagKey),
        defaultValue,
        errorCode: "GENERAL",
        errorMessage: `the flag key must be a string, got ${typeof flagKey}`,
      });
    }
    if (snapshot === undefined)
      return errorResult({ flagKey, defaultValue, errorCode: "GENERAL", errorMessage: "no snapshot yet: the client is not ready" });
    const shared = this.decide(snapshot, flagKey, context, defaultValue);
    return shared.errorCode === undefined ? snapshot.withPosition(flagKey, shared) : shared;
  }

  /** True when the flag serves `true`; the default (false unless given) on any error. */
  isEnabled(flagKey: string, context?: Context, defaultValue = false): boolean {
    const snapshot = this.snapshot;
    if (snapshot === undefined || typeof flagKey !== "string") return this.evaluate(flagKey, context, defaultValue === true).value === true;
    return this.decide(snapshot, flagKey, context, defaultValue === true).value === true;
  }

  /** The variant served, or undefined on an error (unknown flag, bad context …). */
  variant(flagKey: string, context?: Context): string | undefined {
    const snapshot = this.snapshot;
    if (snapshot === undefined || typeof flagKey !== "string") return this.evaluate(flagKey, context).variant;
    return this.decide(snapshot, flagKey, context, undefined).variant;
  }

  /** The value served, or `defaultValue` on an error (including a flag of another type). */
  value<T extends VariantValue>(flagKey: string, context: Context, defaultValue: T): T {
    const snapshot = this.snapshot;
    if (snapshot === undefined || typeof flagKey !== "string") return this.evaluate(flagKey, context, defaultValue).value as T;
    return this.decide(snapshot, flagKey, context, defaultValue).value as T;
  }

  /**
   * The hot path of every evaluation: the snapshot's shared result (a split's without its position),
   * counted by its number in the snapshot, so a warm snapshot allocates nothing here unless the
   * error path is taken or an excluded evaluation is sampled (at most `sampleExcluded` per interval).
   */
  private decide<T extends VariantValue>(
    snapshot: Snapshot,
    flagKey: string,
    context: Context,
    defaultValue: T | undefined,
  ): EvaluationResult<T | VariantValue | undefined> {
    const result = snapshot.decide(flagKey, context, defaultValue);
    if (result.errorCode !== undefined) return this.failed(result, defaultValue);
    const telemetry = this.telemetry;
    if (telemetry?.count(snapshot, result)) {
      telemetry.sample(snapshot.withPosition(flagKey, result), subjectOf(snapshot, flagKey, context));
    }
    // Exposures count for flags with business metrics only: the others keep the path allocation-free.
    const metrics = this.metrics;
    if (metrics?.watches(flagKey)) metrics.expose(snapshot, flagKey, result.variant, context);
    return result;
  }

  /**
   * Runs an in-process experiment (after GitHub's Scientist): always returns the control's value,
   * or rethrows the control's own error. For subjects the flag includes (`evaluate(flag).included`,
   * the flag being `name` unless `options.flag` says otherwise), the candidate also runs, beside
   * the control and with a timeout (default 1 000 ms), so it never adds its latency to the caller
   * and its errors are never thrown; both sides' latencies and errors and their comparison are
   * recorded into `observations` after the control has returned, and sent to the server.
   * Not ready, an unknown flag, an excluded subject, or `maxInFlight` candidates running: the
   * control alone runs.
   *
   * @example
   * const price = await client.experiment("pricing-v2", { id: user.id }, {
   *   control: () => legacyPrice(cart),
   *   candidate: () => newPricingService.price(cart),
   *   ignore: ["body.computedAt"], // the values are compared as JSON bodies: paths start with `body`
   * });
   */
  async experiment<T>(name: string, context: Context, options: ExperimentOptions<T>): Promise<T> {
    checkExperimentArguments(name, options);
    const flag = options.flag ?? name;
    if (this.statusValue !== "closed" && this.snapshot !== undefined && this.evaluate(flag, context).included) {
      return this.experiments.run(flag, options.route ?? name, options);
    }
    return await options.control();
  }

  /**
   * Sends the observations recorded so far now rather than at the next interval; resolves when
   * done (never rejects: failures are counted, and put back or reported as on the interval).
   */
  async flushObservations(): Promise<void> {
    await this.reporter?.flush();
  }

  /** Counters of observations and experiments: sent, refused, dropped, failed posts, skipped candidates. */
  observationStats(): ObservationStats {
    return {
      sentWindows: 0,
      rejectedWindows: 0,
      skippedWindows: 0,
      failedPosts: 0,
      ...this.reporter?.counters,
      ...this.experiments.stats,
      droppedObservations: this.observations.dropped,
      pendingWindows: this.observations.pending,
    };
  }

  /**
   * Tracks a business event (`purchase`, with its amount as `value`): attributed now to the variant
   * this context gets for every flag with a metric on `event`, and sent with the next metric
   * windows. Never throws; an event no metric watches is only counted (`metricStats()`).
   *
   * @example
   * client.track("purchase", { id: user.id }, order.total);
   */
  track(event: string, context?: Context, value?: number): void {
    if (typeof event !== "string" || (value !== undefined && (typeof value !== "number" || !Number.isFinite(value)))) return;
    this.metrics?.track(event, context, value);
  }

  /** Sends the metric windows counted so far now, and reloads the metric definitions; never rejects. */
  async flushMetrics(): Promise<void> {
    await this.metrics?.flush();
  }

  /** Counters of business-metric tracking: events attributed or not, windows sent, failed posts. */
  metricStats(): MetricStats {
    return { ...noMetricStats(), ...this.metrics?.stats };
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): () => void {
    this.events.on(event, listener);
    return () => this.off(event, listener);
  }

  off<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): void {
    this.events.off(event, listener);
  }

  get status(): ClientStatus {
    return this.statusValue;
  }

  /** The server revision of the snapshot being served (undefined for a bare bootstrap ruleset). */
  get revision(): unknown {
    return this.holder.revision;
  }

  get source(): SnapshotSource | undefined {
    return this.holder.source;
  }

  /** The ruleset being served, as validated by the core (without the flags that could not be compiled). */
  get ruleset(): Ruleset | undefined {
    return this.snapshot?.ruleset;
  }

  /** Requests made to the server's sync endpoints so far (diagnostics). */
  get syncRequests(): number {
    return this.sync?.requests ?? 0;
  }

  /**
   * Counters of what the server sent that was not applied: messages that did not match the
   * protocol, stale updates, and the flags of the current snapshot that could not be compiled
   * (each also reported once as an `error` event, code `MALFORMED_UPDATE` or `FLAG_SKIPPED`).
   */
  updateStats(): UpdateStats {
    return {
      rejectedMessages: this.rejectedMessages,
      staleMessages: this.holder.staleUpdates,
      skippedFlags: [...this.holder.skippedFlags.keys()].sort(),
    };
  }

  /**
   * Stops syncing, sends the last telemetry and observations (waiting up to `closeTimeoutMs` for
   * running experiments to be recorded and the observations to be sent) and waits for the cache
   * file to be written.
   */
  async close(): Promise<void> {
    if (this.statusValue === "closed") return;
    this.statusValue = "closed";
    this.readiness.settle(new SdkError("CLOSED", "the client was closed before it was ready"));
    this.telemetry?.stop();
    this.reporter?.stop();
    this.metrics?.stop();
    const deadline = Date.now() + this.settings.closeTimeoutMs;
    await this.sync?.close();
    await Promise.all([this.telemetry?.flush(), this.lastObservations(deadline), this.metrics?.flush()]);
    await this.cache?.settled();
  }

  private async lastObservations(deadline: number): Promise<void> {
    // Running experiments are recorded first (each is bounded by its timeout), then sent together.
    await this.experiments.settled(Math.max(0, deadline - Date.now()));
    await this.reporter?.flush(deadline);
  }

  /** The error path of `evaluate`, kept out of the hot one. */
  private failed<T>(result: EvaluationResult<T>, defaultValue: T): EvaluationResult<T> {
    if (result.errorCode === "FLAG_NOT_FOUND") {
      // A flag left out of the snapshot says why, rather than "does not exist".
      const why = this.holder.skippedFlags.get(result.flagKey);
      if (why === undefined) return result;
      return errorResult({
        flagKey: result.flagKey,
        defaultValue,
        errorCode: "GENERAL",
        errorMessage: `flag "${result.flagKey}" could not be compiled and serves the default: ${why}`,
      });
    }
    // Only flags the snapshot knows are counted: a typo'd key is the caller's bug, not a decision.
    if (result.errorCode !== "GENERAL") this.telemetry?.countOnce(result);
    return result;
  }

  private onLive(via: "stream" | "poll"): void {
    if (this.statusValue === "closed") return;
    const previous = this.statusValue;
    this.statusValue = via === "stream" ? "live" : "polling";
    // The metric definitions load once the server has answered (a refused token never asks).
    if (previous !== "live" && previous !== "polling") void this.metrics?.refresh();
    if (this.snapshot === undefined || this.holder.source !== "server") return;
    const event: ReadyEvent = { source: "server", revision: this.holder.revision, stale: false };
    this.readiness.settle(event);
    if (previous !== "live" && previous !== "polling") this.events.emit("ready", event);
  }

  private onLost(error: SdkError, via: "stream" | "poll"): void {
    if (this.statusValue === "closed") return;
    this.lastError = error;
    if (error.code !== "UNREACHABLE") this.events.emit("error", error);
    // While polls answer, a stream that cannot be held is not staleness.
    if (via === "stream" && this.statusValue === "polling") return;
    if (this.statusValue !== "stale") {
      this.statusValue = "stale";
      this.events.emit("stale", { error, revision: this.holder.revision });
    }
    // A cold start with the server down serves the cache file or bootstrap at once.
    if (this.snapshot !== undefined && this.readiness.pending) this.settle();
  }

  private onFatal(error: SdkError): void {
    if (this.statusValue === "closed") return;
    this.statusValue = "unauthorized";
    this.metrics?.stop();
    this.lastError = error;
    this.readiness.settle(error);
    this.events.emit("error", error);
  }

  private readyTimedOut(): void {
    if (!this.readiness.pending) return;
    if (this.snapshot !== undefined) {
      this.settle();
      return;
    }
    const timeout = this.settings.readyTimeoutMs;
    const why = this.lastError;
    this.readiness.settle(
      why === undefined
        ? new SdkError("NO_SNAPSHOT", `not ready after ${timeout} ms: the server sent no snapshot, and there is no cache file or bootstrap`)
        : new SdkError(why.code, `not ready after ${timeout} ms: ${why.message}; and there is no cache file or bootstrap`, why.status),
    );
  }

  /** Resolves ready() with what is being served, or rejects when there is nothing. */
  private settle(): void {
    if (!this.readiness.pending) return;
    const source = this.holder.source;
    if (this.snapshot === undefined || source === undefined) {
      this.readiness.settle(new SdkError("NO_SNAPSHOT", "offline, and there is no cache file or bootstrap to serve"));
      return;
    }
    const event: ReadyEvent = { source, revision: this.holder.revision, stale: this.statusValue !== "offline" };
    this.readiness.settle(event);
    this.events.emit("ready", event);
  }
}

/**
 * Creates a client and starts syncing. See `DarkLaunchClient`.
 *
 * @example
 * const client = createClient({ url, token, cachePath: "/var/cache/darklaunch.json", bootstrap: "./flags.json" });
 */
export function createClient(options: ClientOptions): DarkLaunchClient {
  return new DarkLaunchClient(options);
}

function startTelemetry(
  server: ServerSettings,
  target: PostTarget,
  onError: (error: SdkError) => void,
  now: () => number,
): Telemetry | undefined {
  if (server.telemetry === undefined) return undefined;
  const telemetry = new Telemetry(
    server.telemetry,
    { instance: server.instance, sdk: { name: SDK_NAME, version: SDK_VERSION } },
    async (batch) => {
      await postJson(target, "/api/v1/sdk/telemetry", batch, "TELEMETRY_FAILED");
    },
    (error) => onError(error instanceof SdkError ? error : new SdkError("TELEMETRY_FAILED", String(error))),
    now,
  );
  telemetry.start();
  return telemetry;
}

/** The subject a sampled evaluation is logged under, read as evaluation reads it (capped at 1 024 characters). */
function subjectOf(snapshot: Snapshot | undefined, flagKey: string, context: unknown): string | undefined {
  if (typeof context !== "object" || context === null || Array.isArray(context)) return undefined;
  const subject = subjectText(context as Readonly<Record<string, unknown>>, snapshot?.flag(flagKey)?.bucketBy ?? "id");
  return subject?.slice(0, 1024);
}
