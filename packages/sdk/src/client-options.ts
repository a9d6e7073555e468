import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { compileRedactor, type ObservationSource, positive, type RedactionOptions, type Redactor } from "@darklaunch/core";
import { SdkError } from "./errors.js";
import type { TelemetryOptions } from "./telemetry.js";

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
  /** How often windows are sent, in ms (default 10 000, or half of `minuteMs` when that is shorter). */
  flushIntervalMs?: number;
  /**
   * The length of a window in ms (default: the server's minute, which its first answer tells;
   * 60 000 until then). Set it to a server's `serve --minute-ms` when that server runs short
   * minutes (tests and demos) to have windows of that length from the start.
   */
  minuteMs?: number;
  /** What mismatch samples hide besides credentials, e-mail addresses, card numbers and tokens. */
  redaction?: RedactionOptions;
  /** Windows held unsent (including ones put back after a failed send) before new ones are dropped and counted (default 10 000). */
  maxPendingWindows?: number;
}

/** How a client reaches its server; absent when offline. */
export interface ServerSettings {
  /** The base URL without a trailing slash. */
  url: string;
  token: string;
  fetch: typeof fetch;
  instance: string;
  pollIntervalMs: number;
  heartbeatTimeoutMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** Undefined when telemetry is off. */
  telemetry: TelemetryOptions | undefined;
  /** Whether observations are sent. */
  observations: boolean;
}

/** Options checked, with every default filled in: what the parts of a client are built from. */
export interface ClientSettings {
  /** Undefined when offline. */
  server: ServerSettings | undefined;
  cachePath: string | undefined;
  bootstrap: object | string | undefined;
  readyTimeoutMs: number;
  closeTimeoutMs: number;
  maxInFlight: number;
  now: () => number;
  observationSource: Extract<ObservationSource, "sdk" | "proxy">;
  observationFlushMs: number;
  /** The window length given, or undefined: learn the server's. */
  observationMinuteMs: number | undefined;
  /** The send interval for a window length learned from the server. */
  observationFlushFor: (minuteMs: number) => number;
  maxPendingWindows: number;
  redactor: Redactor;
}

/** Checks the options of `createClient` and fills in the defaults; throws `INVALID_OPTIONS` naming what is missing. */
export function clientSettings(options: ClientOptions): ClientSettings {
  const offline = options.offline === true;
  if (!offline && (typeof options.url !== "string" || options.url === "")) {
    throw new SdkError("INVALID_OPTIONS", "createClient needs a `url` (or `offline: true`)");
  }
  if (!offline && (typeof options.token !== "string" || options.token === "")) {
    throw new SdkError("INVALID_OPTIONS", "createClient needs an sdk `token` (or `offline: true`)");
  }
  const observing = options.observations === false ? {} : (options.observations ?? {});
  return {
    server: offline
      ? undefined
      : {
          url: (options.url as string).replace(/\/+$/, ""),
          token: options.token as string,
          fetch: options.fetch ?? globalThis.fetch,
          instance: options.instance ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`,
          pollIntervalMs: positive(options.pollIntervalMs, 30_000),
          heartbeatTimeoutMs: positive(options.heartbeatTimeoutMs, 45_000),
          backoffBaseMs: positive(options.backoff?.baseMs, 1_000),
          backoffCapMs: positive(options.backoff?.capMs, 30_000),
          telemetry: options.telemetry === false ? undefined : (options.telemetry ?? {}),
          observations: options.observations !== false,
        },
    cachePath: options.cachePath,
    bootstrap: options.bootstrap,
    readyTimeoutMs: positive(options.readyTimeoutMs, 5_000),
    closeTimeoutMs: positive(options.closeTimeoutMs, 5_000),
    maxInFlight: positive(options.experiments?.maxInFlight, 100),
    now: options.now ?? Date.now,
    observationSource: observing.source ?? "sdk",
    observationFlushMs: positive(observing.flushIntervalMs, flushDefault(observing.minuteMs)),
    observationMinuteMs: minuteOption(observing.minuteMs),
    observationFlushFor: (minuteMs) => positive(observing.flushIntervalMs, flushDefault(minuteMs)),
    maxPendingWindows: positive(observing.maxPendingWindows, 10_000),
    redactor: redactorFor(observing.redaction),
  };
}

/** Windows of a short minute are sent about twice a minute, so the server's judge sees each soon after it ends. */
export function flushDefault(minuteMs: number | undefined): number {
  return minuteMs === undefined ? 10_000 : Math.min(10_000, Math.max(1, Math.floor(minuteMs / 2)));
}

function minuteOption(minuteMs: unknown): number | undefined {
  if (minuteMs === undefined) return undefined;
  if (typeof minuteMs !== "number" || !Number.isSafeInteger(minuteMs) || minuteMs < 1 || minuteMs > 60_000) {
    throw new SdkError("INVALID_OPTIONS", `observations.minuteMs must be a whole number of ms from 1 to 60000, got ${String(minuteMs)}`);
  }
  return minuteMs;
}

function redactorFor(options: RedactionOptions | undefined): Redactor {
  try {
    return compileRedactor(options);
  } catch (error) {
    throw new SdkError("INVALID_OPTIONS", `observations.redaction: ${(error as Error).message}`);
  }
}
