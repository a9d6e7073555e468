import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import {
  compile,
  compileRedactor,
  type EvaluationErrorCode,
  type EvaluationResult,
  ObservationRecorder,
  type ObservationSource,
  type RedactionOptions,
  type Redactor,
  type Ruleset,
  type Snapshot,
  type VariantValue,
} from "@darklaunch/core";
import { readCacheFile, type SnapshotPayload, writeCacheFile } from "./cache-file.js";
import { SdkError } from "./errors.js";
import { checkExperimentArguments, type ExperimentOptions, ExperimentRunner, type ExperimentStats } from "./experiment.js";
import { type PostTarget, postJson } from "./http-post.js";
import { ObservationReporter, type ObservationReportStats } from "./observation-reporter.js";
import { changedFlags } from "./ruleset-diff.js";
import { Sync } from "./sync.js";
import { Telemetry, type TelemetryOptions } from "./telemetry.js";

export const SDK_NAME = "@darklaunch/sdk";
export const SDK_VERSION = "0.1.0";

export interface ClientOptions {
  /** The server's base URL, e.g. `http://darklaunch:4700`. Required unless `offline`. */
  url?: string;
  /** An `sdk` token. Required unless `offline`. */
  token?: string;
  /** Never contact a server: evaluate the cache file or bootstrap only. */
  offline?: boolean;
  /**
   * What to serve on a cold start when neither the server nor the cache file can: a ruleset
   * `{ flags, segments?, overrides? }`, a snapshot `{ revision, ruleset }`, or the path of a JSON
   * file holding either (a `darklaunch export` works).
   */
  bootstrap?: object | string;
  /** Where the last good snapshot is kept on disk (written to a temporary file, then renamed). */
  cachePath?: string;
  /** How long `ready()` waits for the server before giving up (default 5 000 ms). */
  readyTimeoutMs?: number;
  /** Snapshot polling period while the stream is down (default 30 000 ms). */
  pollIntervalMs?: number;
  /** Silence after which the stream is dead (default 45 000 ms: three missed 15 s heartbeats). */
  heartbeatTimeoutMs?: number;
  /** Reconnect backoff, full jitter: first ceiling and cap (defaults 1 000 and 30 000 ms). */
  backoff?: { baseMs?: number; capMs?: number };
  /** Evaluation counts sent to the server; `false` turns them off (always off when offline). */
  telemetry?: TelemetryOptions | false;
  /**
   * Observations of dark paths (`experiment()`, or a proxy recording into `client.observations`),
   * sent to the server every `flushIntervalMs`; `false` sends nothing (never sent when offline).
   */
  observations?: ObservationOptions | false;
  /** In-process experiments: at most `maxInFlight` candidates run at once (default 100). */
  experiments?: { maxInFlight?: number };
  /** How long `close()` waits for the last experiment results and observations (default 5 000 ms). */
  closeTimeoutMs?: number;
  /** This process's name in telemetry and observations (default host-pid-random). */
  instance?: string;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
  /** The clock schedules are checked against, epoch ms (default `Date.now`). */
  now?: () => number;
}

export interface ObservationOptions {
  /** Who reports: `sdk` (default) for experiments, `proxy` for the shadow proxy. */
  source?: Extract<ObservationSource, "sdk" | "proxy">;
  /** How often windows are sent, in ms (default 10 000). */
  flushIntervalMs?: number;
  /** What mismatch samples hide besides credentials, e-mail addresses, card numbers and tokens. */
  redaction?: RedactionOptions;
  /** Windows held unsent (including ones put back after a failed send) before new ones are dropped and counted (default 10 000). */
  maxPendingWindows?: number;
}

/** What happened to observations so far (`client.observationStats()`). */
export interface ObservationStats extends ObservationReportStats, ExperimentStats {
  /** Observations lost because `maxPendingWindows` windows were held (also windows put back that did not fit). */
  droppedObservations: number;
  /** Windows recorded and not yet sent. */
  pendingWindows: number;
}

/** Where the snapshot being served came from. */
export type SnapshotSource = "server" | "cache" | "bootstrap";

/** `live`: streaming; `polling`: the stream is down but polls answer; `stale`: the server is unreachable. */
export type ClientStatus = "starting" | "live" | "polling" | "stale" | "unauthorized" | "offline" | "closed";

export interface ReadyEvent {
  source: SnapshotSource;
  revision: unknown;
  /** True when serving a cache file or bootstrap because the server could not be reached. */
  stale: boolean;
}

export interface ChangeEvent {
  /** Flags whose answers may have changed, sorted. */
  keys: string[];
  revision: unknown;
}

export interface StaleEvent {
  error: SdkError;
  revision: unknown;
}

export interface ClientEvents {
  change: (event: ChangeEvent) => void;
  stale: (event: StaleEvent) => void;
  error: (error: SdkError) => void;
  ready: (event: ReadyEvent) => void;
}

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
  private snapshot: Snapshot | undefined;
  private revisionValue: unknown;
  private sourceValue: SnapshotSource | undefined;
  private statusValue: ClientStatus;
  private lastError: SdkError | undefined;
  private readonly listeners: { [K in keyof ClientEvents]: Set<ClientEvents[K]> } = {
    change: new Set(),
    stale: new Set(),
    error: new Set(),
    ready: new Set(),
  };
  private readonly readyPromise: Promise<ReadyEvent>;
  private settleReady: ((event: ReadyEvent | SdkError) => void) | undefined;
  private readyTimer: NodeJS.Timeout | undefined;
  private readonly sync: Sync | undefined;
  private readonly telemetry: Telemetry | undefined;
  private readonly reporter: ObservationReporter | undefined;
  private readonly experiments: ExperimentRunner;
  /**
   * Where dark-path observations are recorded before they are sent: `experiment()` records here,
   * and so does a shadow proxy running in this process.
   */
  readonly observations: ObservationRecorder;
  private cacheWrite: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly options: ClientOptions = {}) {
    const offline = options.offline === true;
    if (!offline && (typeof options.url !== "string" || options.url === "")) {
      throw new SdkError("INVALID_OPTIONS", "createClient needs a `url` (or `offline: true`)");
    }
    if (!offline && (typeof options.token !== "string" || options.token === "")) {
      throw new SdkError("INVALID_OPTIONS", "createClient needs an sdk `token` (or `offline: true`)");
    }
    this.now = options.now ?? Date.now;
    const observing = options.observations === false ? {} : (options.observations ?? {});
    this.observations = new ObservationRecorder({
      source: observing.source ?? "sdk",
      now: this.now,
      redactor: redactorFor(observing.redaction),
      maxWindows: positive(observing.maxPendingWindows, 10_000),
    });
    this.experiments = new ExperimentRunner(this.observations, positive(options.experiments?.maxInFlight, 100), (error) =>
      this.emit("error", error),
    );
    this.statusValue = offline ? "offline" : "starting";
    this.readyPromise = new Promise<ReadyEvent>((resolve, reject) => {
      this.settleReady = (outcome) => {
        this.settleReady = undefined;
        clearTimeout(this.readyTimer);
        if (outcome instanceof SdkError) reject(outcome);
        else resolve(outcome);
      };
    });
    // ready() may never be called: a rejection nobody awaits must not crash the process.
    this.readyPromise.catch(() => {});

    const startupErrors: SdkError[] = [];
    this.loadFallback(startupErrors);
    // Listeners attach after createClient returns: startup errors are reported a tick later.
    setImmediate(() => {
      for (const error of startupErrors) this.emit("error", error);
    });

    if (offline) {
      this.settle();
      return;
    }
    const url = (options.url as string).replace(/\/+$/, "");
    const fetchImpl = options.fetch ?? globalThis.fetch;
    const target: PostTarget = { fetch: fetchImpl, url, token: options.token as string };
    const instance = options.instance ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.readyTimer = setTimeout(() => this.readyTimedOut(), positive(options.readyTimeoutMs, 5_000));
    this.readyTimer.unref();
    if (options.telemetry !== false) {
      this.telemetry = new Telemetry(
        options.telemetry ?? {},
        { instance, sdk: { name: SDK_NAME, version: SDK_VERSION } },
        async (batch) => {
          await postJson(target, "/api/v1/sdk/telemetry", batch, "TELEMETRY_FAILED");
        },
        (error) => this.emit("error", error instanceof SdkError ? error : new SdkError("TELEMETRY_FAILED", String(error))),
        this.now,
      );
      this.telemetry.start();
    }
    if (options.observations !== false) {
      this.reporter = new ObservationReporter(
        this.observations,
        instance,
        (batch, signal) => postJson(target, "/api/v1/observations", batch, "OBSERVATIONS_FAILED", signal),
        (error) => this.emit("error", error),
        positive(observing.flushIntervalMs, 10_000),
      );
      this.reporter.start();
    }
    this.sync = new Sync(
      {
        url,
        token: options.token as string,
        fetch: fetchImpl,
        pollIntervalMs: positive(options.pollIntervalMs, 30_000),
        heartbeatTimeoutMs: positive(options.heartbeatTimeoutMs, 45_000),
        backoffBaseMs: positive(options.backoff?.baseMs, 1_000),
        backoffCapMs: positive(options.backoff?.capMs, 30_000),
        userAgent: `${SDK_NAME}/${SDK_VERSION}`,
      },
      {
        snapshot: (payload) => this.applySnapshot(payload),
        patch: (data) => this.applyPatch(data),
        remove: (data) => this.applyDelete(data),
        live: (via) => this.onLive(via),
        lost: (error, via) => this.onLost(error, via),
        fatal: (error) => this.onFatal(error),
        error: (error) => this.emit("error", error),
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
    return this.readyPromise;
  }

  /** Evaluates a flag with full detail (variant, reason, position, version); never throws. */
  evaluate<T extends VariantValue>(flagKey: string, context?: Context, defaultValue?: T): EvaluationResult<T | VariantValue | undefined> {
    const snapshot = this.snapshot;
    let result: EvaluationResult<T | VariantValue | undefined>;
    if (typeof flagKey !== "string") {
      result = errorResult(String(flagKey), defaultValue, "GENERAL", `the flag key must be a string, got ${typeof flagKey}`);
    } else if (snapshot === undefined) {
      result = errorResult(flagKey, defaultValue, "GENERAL", "no snapshot yet: the client is not ready");
    } else {
      result = snapshot.evaluate(flagKey, context, defaultValue);
    }
    // Only flags the snapshot knows are counted: a typo'd key is the caller's bug, not a decision.
    if (this.telemetry && result.errorCode !== "FLAG_NOT_FOUND" && result.errorCode !== "GENERAL") {
      this.telemetry.record(result, () => subjectOf(snapshot, result.flagKey, context));
    }
    return result;
  }

  /** True when the flag serves `true`; the default (false unless given) on any error. */
  isEnabled(flagKey: string, context?: Context, defaultValue = false): boolean {
    return this.evaluate(flagKey, context, defaultValue === true).value === true;
  }

  /** The variant served, or undefined on an error (unknown flag, bad context …). */
  variant(flagKey: string, context?: Context): string | undefined {
    return this.evaluate(flagKey, context).variant;
  }

  /** The value served, or `defaultValue` on an error (including a flag of another type). */
  value<T extends VariantValue>(flagKey: string, context: Context, defaultValue: T): T {
    return this.evaluate(flagKey, context, defaultValue).value as T;
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

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): () => void {
    this.listeners[event].add(listener);
    return () => this.off(event, listener);
  }

  off<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): void {
    this.listeners[event].delete(listener);
  }

  get status(): ClientStatus {
    return this.statusValue;
  }

  /** The server revision of the snapshot being served (undefined for a bare bootstrap ruleset). */
  get revision(): unknown {
    return this.revisionValue;
  }

  get source(): SnapshotSource | undefined {
    return this.sourceValue;
  }

  /** The ruleset being served, as validated by the core. */
  get ruleset(): Ruleset | undefined {
    return this.snapshot?.ruleset;
  }

  /** Requests made to the server's sync endpoints so far (diagnostics). */
  get syncRequests(): number {
    return this.sync?.requests ?? 0;
  }

  /**
   * Stops syncing, sends the last telemetry and observations (waiting up to `closeTimeoutMs` for
   * running experiments to be recorded and the observations to be sent) and waits for the cache
   * file to be written.
   */
  async close(): Promise<void> {
    if (this.statusValue === "closed") return;
    this.statusValue = "closed";
    this.settleReady?.(new SdkError("CLOSED", "the client was closed before it was ready"));
    this.telemetry?.stop();
    this.reporter?.stop();
    const deadline = Date.now() + positive(this.options.closeTimeoutMs, 5_000);
    await this.sync?.close();
    await Promise.all([this.telemetry?.flush(), this.lastObservations(deadline)]);
    await this.cacheWrite;
  }

  private async lastObservations(deadline: number): Promise<void> {
    // Running experiments are recorded first (each is bounded by its timeout), then sent together.
    await this.experiments.settled(Math.max(0, deadline - Date.now()));
    await this.reporter?.flush(deadline);
  }

  private loadFallback(errors: SdkError[]): void {
    if (this.options.cachePath !== undefined) {
      const cached = readCacheFile(this.options.cachePath);
      if (cached instanceof SdkError) errors.push(cached);
      else if (cached !== undefined) {
        const error = this.install(cached, "cache");
        if (error) errors.push(new SdkError("CACHE_CORRUPT", `the cache file ${this.options.cachePath} is ignored: ${error.message}`));
        else return;
      }
    }
    const bootstrap = this.options.bootstrap;
    if (bootstrap === undefined) return;
    let payload: SnapshotPayload;
    try {
      const raw: unknown = typeof bootstrap === "string" ? JSON.parse(readFileSync(bootstrap, "utf8")) : bootstrap;
      payload = toPayload(raw);
    } catch (error) {
      errors.push(new SdkError("BOOTSTRAP_INVALID", `cannot read the bootstrap ${String(bootstrap)}: ${(error as Error).message}`));
      return;
    }
    const error = this.install(payload, "bootstrap");
    if (error) errors.push(new SdkError("BOOTSTRAP_INVALID", `the bootstrap is ignored: ${error.message}`));
  }

  /** Compiles a ruleset and serves it; returns the reason instead when the core rejects it. */
  private install(payload: SnapshotPayload, source: SnapshotSource): Error | undefined {
    let next: Snapshot;
    try {
      next = compile(payload.ruleset, { now: this.now });
    } catch (error) {
      return error as Error;
    }
    const previous = this.snapshot;
    this.snapshot = next;
    this.revisionValue = payload.revision;
    this.sourceValue = source;
    if (source === "server" && this.options.cachePath !== undefined) this.saveCache(payload.revision, next.ruleset);
    if (previous !== undefined) {
      const keys = changedFlags(previous.ruleset, next.ruleset);
      if (keys.length > 0) this.emit("change", { keys, revision: payload.revision });
    }
    return undefined;
  }

  private applySnapshot(data: unknown): void {
    if (!isRecord(data) || !isRecord(data.ruleset)) {
      this.emit("error", new SdkError("MALFORMED_UPDATE", "a snapshot is not { revision, ruleset }; the previous snapshot stays"));
      return;
    }
    const error = this.install({ revision: data.revision, ruleset: data.ruleset }, "server");
    if (error) this.emit("error", new SdkError("MALFORMED_UPDATE", `a snapshot was rejected, the previous one stays: ${error.message}`));
  }

  private applyPatch(data: unknown): void {
    this.edit("patch", data, (ruleset, patch) => {
      const flags = optionalArray(patch.flags, "flags");
      const segments = optionalArray(patch.segments, "segments");
      const overrides = optionalArray(patch.overrides, "overrides");
      for (const flag of flags) ruleset.flags = replaceByKey(ruleset.flags, flag);
      for (const segment of segments) ruleset.segments = replaceByKey(ruleset.segments, segment);
      for (const entry of overrides) {
        if (!isRecord(entry) || typeof entry.flag !== "string" || !Array.isArray(entry.overrides)) {
          throw new Error("overrides entries must be { flag, overrides: [] }");
        }
        ruleset.overrides = [...ruleset.overrides.filter((o) => o.flag !== entry.flag), ...(entry.overrides as Ruleset["overrides"])];
      }
    });
  }

  private applyDelete(data: unknown): void {
    this.edit("delete", data, (ruleset, removal) => {
      const flags = new Set(optionalArray(removal.flags, "flags").map(String));
      const segments = new Set(optionalArray(removal.segments, "segments").map(String));
      ruleset.flags = ruleset.flags.filter((f) => !flags.has(f.key));
      ruleset.overrides = ruleset.overrides.filter((o) => !flags.has(o.flag));
      ruleset.segments = ruleset.segments.filter((s) => !segments.has(s.key));
    });
  }

  /** Applies an update to a copy of the ruleset and recompiles; on any problem the snapshot stays. */
  private edit(kind: string, data: unknown, change: (ruleset: EditableRuleset, update: Record<string, unknown>) => void): void {
    const current = this.snapshot?.ruleset;
    if (current === undefined) {
      this.emit("error", new SdkError("MALFORMED_UPDATE", `a ${kind} arrived before any snapshot; ignored`));
      return;
    }
    if (!isRecord(data)) {
      this.emit("error", new SdkError("MALFORMED_UPDATE", `a ${kind} is not an object; the previous snapshot stays`));
      return;
    }
    // A late event from before the current snapshot would undo newer changes.
    if (typeof data.revision === "number" && typeof this.revisionValue === "number" && data.revision <= this.revisionValue) return;
    const copy: EditableRuleset = { flags: [...current.flags], segments: [...current.segments], overrides: [...current.overrides] };
    try {
      change(copy, data);
    } catch (error) {
      this.emit(
        "error",
        new SdkError("MALFORMED_UPDATE", `a ${kind} is malformed, the previous snapshot stays: ${(error as Error).message}`),
      );
      return;
    }
    const error = this.install({ revision: data.revision, ruleset: copy }, "server");
    if (error)
      this.emit("error", new SdkError("MALFORMED_UPDATE", `a ${kind} was rejected, the previous snapshot stays: ${error.message}`));
  }

  private onLive(via: "stream" | "poll"): void {
    if (this.statusValue === "closed") return;
    const previous = this.statusValue;
    this.statusValue = via === "stream" ? "live" : "polling";
    if (this.snapshot === undefined || this.sourceValue !== "server") return;
    const event: ReadyEvent = { source: "server", revision: this.revisionValue, stale: false };
    this.settleReady?.(event);
    if (previous !== "live" && previous !== "polling") this.emit("ready", event);
  }

  private onLost(error: SdkError, via: "stream" | "poll"): void {
    if (this.statusValue === "closed") return;
    this.lastError = error;
    if (error.code !== "UNREACHABLE") this.emit("error", error);
    // While polls answer, a stream that cannot be held is not staleness.
    if (via === "stream" && this.statusValue === "polling") return;
    if (this.statusValue !== "stale") {
      this.statusValue = "stale";
      this.emit("stale", { error, revision: this.revisionValue });
    }
    // A cold start with the server down serves the cache file or bootstrap at once.
    if (this.snapshot !== undefined && this.settleReady) this.settle();
  }

  private onFatal(error: SdkError): void {
    if (this.statusValue === "closed") return;
    this.statusValue = "unauthorized";
    this.lastError = error;
    this.settleReady?.(error);
    this.emit("error", error);
  }

  private readyTimedOut(): void {
    if (!this.settleReady) return;
    if (this.snapshot !== undefined) {
      this.settle();
      return;
    }
    const timeout = positive(this.options.readyTimeoutMs, 5_000);
    const why = this.lastError;
    this.settleReady(
      why === undefined
        ? new SdkError("NO_SNAPSHOT", `not ready after ${timeout} ms: the server sent no snapshot, and there is no cache file or bootstrap`)
        : new SdkError(why.code, `not ready after ${timeout} ms: ${why.message}; and there is no cache file or bootstrap`, why.status),
    );
  }

  /** Resolves ready() with what is being served, or rejects when there is nothing. */
  private settle(): void {
    if (!this.settleReady) return;
    if (this.snapshot === undefined || this.sourceValue === undefined) {
      this.settleReady(new SdkError("NO_SNAPSHOT", "offline, and there is no cache file or bootstrap to serve"));
      return;
    }
    const event: ReadyEvent = { source: this.sourceValue, revision: this.revisionValue, stale: this.statusValue !== "offline" };
    this.settleReady(event);
    this.emit("ready", event);
  }

  private saveCache(revision: unknown, ruleset: Ruleset): void {
    const path = this.options.cachePath as string;
    this.cacheWrite = this.cacheWrite
      .then(() => writeCacheFile(path, { revision, ruleset }))
      .catch((error: Error) =>
        this.emit("error", new SdkError("CACHE_WRITE_FAILED", `cannot write the cache file ${path}: ${error.message}`)),
      );
  }

  private emit<K extends keyof ClientEvents>(event: K, payload: Parameters<ClientEvents[K]>[0]): void {
    for (const listener of this.listeners[event]) {
      try {
        (listener as (p: typeof payload) => void)(payload);
      } catch {
        // A throwing listener must not break the sync or the other listeners.
      }
    }
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

/** Items patched in are unvalidated until the copy is recompiled; the types are the hoped-for ones. */
type EditableRuleset = Ruleset;

function replaceByKey<T>(items: T[], item: unknown): T[] {
  if (!isRecord(item) || typeof item.key !== "string") throw new Error("every patched item needs a string key");
  const index = items.findIndex((existing) => (existing as { key?: unknown }).key === item.key);
  const copy = [...items];
  if (index === -1) copy.push(item as T);
  else copy[index] = item as T;
  return copy;
}

function optionalArray(value: unknown, name: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${name} must be an array`);
  return value;
}

function toPayload(raw: unknown): SnapshotPayload {
  if (!isRecord(raw)) throw new Error("not a JSON object");
  // A cache file, a server snapshot { revision, ruleset }, or a bare ruleset.
  if (isRecord(raw.ruleset)) return { revision: raw.revision, ruleset: raw.ruleset };
  return { revision: undefined, ruleset: raw };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;
}

function errorResult<T>(flagKey: string, value: T, errorCode: EvaluationErrorCode, errorMessage: string): EvaluationResult<T> {
  return {
    flagKey,
    variant: undefined,
    value,
    reason: "ERROR",
    openFeatureReason: "ERROR",
    included: false,
    ruleId: undefined,
    position: undefined,
    flagVersion: undefined,
    errorCode,
    errorMessage,
  };
}

function subjectOf(snapshot: Snapshot | undefined, flagKey: string, context: unknown): string | undefined {
  if (typeof context !== "object" || context === null) return undefined;
  const bucketBy = snapshot?.flag(flagKey)?.bucketBy ?? "id";
  const record = context as Record<string, unknown>;
  const value = record[bucketBy] ?? (bucketBy === "id" ? record.targetingKey : undefined);
  const subject = typeof value === "string" || typeof value === "number" ? String(value).slice(0, 1024) : "";
  return subject === "" ? undefined : subject;
}

function redactorFor(options: RedactionOptions | undefined): Redactor {
  try {
    return compileRedactor(options);
  } catch (error) {
    throw new SdkError("INVALID_OPTIONS", `observations.redaction: ${(error as Error).message}`);
  }
}
