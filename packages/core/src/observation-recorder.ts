import type { ComparisonResult, Difference } from "./difference.js";
import { LatencyReservoir, type Random, RESERVOIR_CAPACITY } from "./latency-reservoir.js";
import { LatencySketch, MAX_SKETCH_LATENCY_MS } from "./latency-sketch.js";
import { DEFAULT_NOISE_THRESHOLDS, isSignificant, type NoiseThresholds } from "./noise-rule.js";
import {
  type ComparisonCounts,
  countField,
  emptyComparison,
  emptyPaired,
  MAX_DIFFERENCES_PER_SAMPLE,
  MAX_SAMPLES_PER_WINDOW,
  type MismatchSample,
  mergePaired,
  type ObservationSource,
  type ObservationWindow,
  type PairedCounts,
  pairedLatencyOutcome,
  type Side,
  type SideWindow,
} from "./observation-window.js";
import { compileRedactor } from "./redactor.js";

/** What the recorder needs to hide secrets in samples (a `compileRedactor(...)` result fits). */
export interface SampleRedactor {
  difference(difference: Difference): Difference;
  url(url: string): string;
}

export interface ObservationRecorderOptions {
  source: ObservationSource;
  /** Clock in epoch milliseconds (tests pass a fixed one). */
  now?: () => number;
  random?: Random;
  /** Hides secrets in mismatch samples; default: `compileRedactor()` (headers, e-mails, cards, tokens). */
  redactor?: SampleRedactor;
  noiseThresholds?: NoiseThresholds;
  /** Open windows kept before new ones are dropped and counted (default 10 000). */
  maxWindows?: number;
  /**
   * The length of a window in ms (default 60 000, a minute). A server run with short minutes
   * (`serve --minute-ms`, for tests and demos) wants windows of its minute: each is stamped with
   * its period's start, a multiple of `minuteMs` since the epoch.
   */
  minuteMs?: number;
}

export interface RequestObservation {
  flag: string;
  route: string;
  side: Side;
  latencyMs: number;
  error?: boolean;
  /** Epoch milliseconds; default now. */
  at?: number;
}

/**
 * One request sent to both sides (shadow mode): both latencies and both outcomes. Recording it
 * counts a request on each side and the pair's outcome in the window's paired counters.
 */
export interface PairedObservation {
  flag: string;
  route: string;
  baselineMs: number;
  darkMs: number;
  baselineError?: boolean;
  darkError?: boolean;
  /** Epoch milliseconds; default now. */
  at?: number;
}

export interface ComparisonObservation {
  flag: string;
  route: string;
  /** Baseline compared with dark. */
  result: ComparisonResult;
  /** Baseline compared with a second baseline instance, when there is one (Diffy's noise). */
  noise?: ComparisonResult | undefined;
  at?: number;
  sample?: Omit<MismatchSample, "at" | "differences">;
}

/** How a comparison was judged: mismatched when a difference remains that is not noise. */
export interface ComparisonVerdict {
  mismatch: boolean;
  real: Difference[];
  noise: Difference[];
}

interface OpenSide {
  requests: number;
  errors: number;
  sketch: LatencySketch;
  reservoir: LatencyReservoir;
}

interface OpenWindow {
  key: Pick<ObservationWindow, "flag" | "source" | "route" | "start">;
  baseline: OpenSide;
  dark: OpenSide;
  comparison: ComparisonCounts;
  samples: MismatchSample[];
  paired?: PairedCounts;
}

/** How far back `drain()` fills in minutes (periods of `minuteMs`) of a watched flag that saw no traffic. */
const MAX_COVERAGE_BACKFILL_MINUTES = 60;

/** Diffy's running counters for one flag and route, across windows: noise is a property of the route, not of a minute. */
interface NoiseState {
  total: number;
  noiseTotal: number;
  raw: Map<string, number>;
  noise: Map<string, number>;
}

const MAX_NOISE_PATHS = 1000;
/** Bounds of the wire format (`parseObservationBatch`): a field path and a sample's location. */
const MAX_PATH_CHARS = 512;
const MAX_LOCATION_CHARS = 1024;
/** Longest JSON text of one value kept in a sample; longer ones are kept as the start of their text. */
export const MAX_SAMPLE_VALUE_CHARS = 1024;
export const DEFAULT_MINUTE_MS = 60_000;

/**
 * Collects observations into per-minute windows (per flag, route) for one source, bounded in
 * memory, until `drain()` hands them to a reporter. Used by the proxy and by `experiment()`.
 *
 * @example
 * const recorder = new ObservationRecorder({ source: "proxy" });
 * recorder.recordRequest({ flag: "checkout-v2", route: "GET /cart", side: "baseline", latencyMs: 12 });
 * recorder.recordComparison({ flag: "checkout-v2", route: "GET /cart", result: compareResponses(a, b) });
 * await post(recorder.drain());
 */
export class ObservationRecorder {
  private readonly windows = new Map<string, OpenWindow>();
  private readonly noiseStates = new Map<string, NoiseState>();
  /** Watched flag and route → the last minute a window was handed over for. */
  private readonly watched = new Map<string, { flag: string; route: string; lastMinute: number }>();
  private readonly now: () => number;
  private readonly random: Random;
  private readonly redactor: SampleRedactor;
  private readonly thresholds: NoiseThresholds;
  private readonly maxWindows: number;
  private minuteMs: number;
  private droppedCount = 0;
  /** The window the last observation went to, and its minute: a proxy's next one is usually for it too. */
  private last: { start: number; open: OpenWindow } | undefined;

  constructor(private readonly options: ObservationRecorderOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.redactor = options.redactor ?? compileRedactor();
    this.thresholds = options.noiseThresholds ?? DEFAULT_NOISE_THRESHOLDS;
    this.maxWindows = options.maxWindows ?? 10_000;
    this.minuteMs = checkedMinute(options.minuteMs ?? DEFAULT_MINUTE_MS);
  }

  /** The length of a window in ms. */
  get minute(): number {
    return this.minuteMs;
  }

  /**
   * Changes the length of the windows opened from now on (a reporter that learned its server's
   * minute); windows already open keep theirs.
   */
  setMinute(minuteMs: number): void {
    const next = checkedMinute(minuteMs);
    if (next === this.minuteMs) return;
    this.minuteMs = next;
    for (const watched of this.watched.values()) watched.lastMinute = Number.NaN;
  }

  /** Observations dropped because `maxWindows` windows were open. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Windows waiting for `drain()`. */
  get pending(): number {
    return this.windows.size;
  }

  recordRequest(observation: RequestObservation): void {
    const window = this.window(observation.flag, observation.route, observation.at);
    if (window === undefined) return;
    countRequest(window[observation.side], observation.latencyMs, observation.error === true);
  }

  /**
   * Records one request that went to both sides (the proxy's mirror, `experiment()`): a request
   * on each side plus the pair's outcome, which the judge's paired tests use. Use it instead of two
   * `recordRequest` calls.
   *
   * @example
   * recorder.recordPair({ flag: "checkout-v2", route: "GET /cart", baselineMs: 12, darkMs: 31, darkError: true });
   */
  recordPair(observation: PairedObservation): void {
    const window = this.window(observation.flag, observation.route, observation.at);
    if (window === undefined) return;
    const baselineMs = clampLatency(observation.baselineMs);
    const darkMs = clampLatency(observation.darkMs);
    const baselineError = observation.baselineError === true;
    const darkError = observation.darkError === true;
    countRequest(window.baseline, baselineMs, baselineError);
    countRequest(window.dark, darkMs, darkError);
    window.paired ??= emptyPaired();
    const paired = window.paired;
    if (baselineError && darkError) paired.bothErr++;
    else if (darkError) paired.darkOnlyErr++;
    else if (baselineError) paired.baseOnlyErr++;
    paired[pairedLatencyOutcome(baselineMs, darkMs)]++;
  }

  /**
   * Records a mirror that was meant and ended without a pair (dropped at a bound, a breaker, the
   * body limit, or left alone by stable's client): the judge's mirror loss counts it.
   *
   * @example
   * if (inFlight >= maxInFlight) recorder.recordLostMirror({ flag: "checkout-v2", route: "GET /cart" });
   */
  recordLostMirror(observation: { flag: string; route: string; at?: number }): void {
    const window = this.window(observation.flag, observation.route, observation.at);
    if (window === undefined) return;
    window.paired ??= emptyPaired();
    window.paired.lost = (window.paired.lost ?? 0) + 1;
  }

  /**
   * Reports `flag` on `route` every minute from now on, with zero requests when no traffic came, so
   * that the judge can tell a quiet minute from one nobody reported (coverage). `drain()` fills in
   * the minutes since the last drain (up to an hour).
   */
  watch(flag: string, route: string): void {
    const key = JSON.stringify([flag, route]);
    if (!this.watched.has(key)) this.watched.set(key, { flag, route, lastMinute: Number.NaN });
  }

  /** Stops reporting quiet minutes for `flag` on `route`. */
  unwatch(flag: string, route: string): void {
    this.watched.delete(JSON.stringify([flag, route]));
  }

  /** Counts a comparison and returns its verdict; with `noise`, differences also seen between two baselines may be noise. */
  recordComparison(observation: ComparisonObservation): ComparisonVerdict {
    const verdict = this.judge(observation);
    const window = this.window(observation.flag, observation.route, observation.at);
    if (window === undefined) return verdict;
    const counts = window.comparison;
    counts.total++;
    if (verdict.mismatch) counts.mismatched++;
    else counts.matched++;
    for (const path of uniquePaths(observation.result.differences)) countField(counts.fields, this.fieldPath(path));
    if (observation.noise !== undefined) {
      counts.noiseTotal++;
      for (const path of uniquePaths(observation.noise.differences)) countField(counts.noise, this.fieldPath(path));
    }
    if (verdict.mismatch && window.samples.length < MAX_SAMPLES_PER_WINDOW) {
      window.samples.push(this.sample(observation, verdict.real));
    }
    return verdict;
  }

  /** Hands over every window recorded so far and starts afresh (noise counters are kept). */
  drain(): ObservationWindow[] {
    this.coverWatched();
    const out: ObservationWindow[] = [];
    for (const open of this.windows.values()) {
      const window: ObservationWindow = {
        ...open.key,
        baseline: closeSide(open.baseline),
        dark: closeSide(open.dark),
        comparison: open.comparison,
        samples: open.samples,
      };
      if (open.paired !== undefined) window.paired = open.paired;
      out.push(window);
    }
    this.windows.clear();
    this.last = undefined;
    return out;
  }

  /** Puts windows back (a failed send), merging with what arrived since; over the bound they are dropped and counted. */
  restore(windows: readonly ObservationWindow[]): void {
    for (const w of windows) {
      const open = this.window(w.flag, w.route, Date.parse(w.start));
      if (open === undefined) continue;
      restoreSide(open.baseline, w.baseline);
      restoreSide(open.dark, w.dark);
      const c = open.comparison;
      c.total += w.comparison.total;
      c.matched += w.comparison.matched;
      c.mismatched += w.comparison.mismatched;
      c.noiseTotal += w.comparison.noiseTotal;
      for (const [path, n] of Object.entries(w.comparison.fields)) countField(c.fields, path, n);
      for (const [path, n] of Object.entries(w.comparison.noise)) countField(c.noise, path, n);
      open.samples = [...w.samples, ...open.samples].slice(0, MAX_SAMPLES_PER_WINDOW);
      // mergePaired keeps what one side lacks (pairs, an older reporter's lost count) absent.
      if (w.paired !== undefined) open.paired = mergePaired(open.paired, w.paired);
    }
  }

  /** Opens a window (empty if nothing came) for each watched flag and route, for every minute since the last drain. */
  private coverWatched(): void {
    if (this.watched.size === 0) return;
    const minuteMs = this.minuteMs;
    const current = Math.floor(this.now() / minuteMs);
    for (const watched of this.watched.values()) {
      const first = Number.isNaN(watched.lastMinute)
        ? current
        : Math.max(watched.lastMinute + 1, current - MAX_COVERAGE_BACKFILL_MINUTES + 1);
      for (let minute = first; minute <= current; minute++) this.window(watched.flag, watched.route, minute * minuteMs);
      watched.lastMinute = current;
    }
  }

  private judge(observation: ComparisonObservation): ComparisonVerdict {
    const differences = observation.result.differences;
    if (observation.noise === undefined) return { mismatch: !observation.result.match, real: differences, noise: [] };
    const state = this.noiseState(observation.flag, observation.route);
    state.total++;
    state.noiseTotal++;
    for (const path of uniquePaths(differences)) bump(state.raw, path);
    for (const path of uniquePaths(observation.noise.differences)) bump(state.noise, path);
    const real: Difference[] = [];
    const noise: Difference[] = [];
    for (const d of differences) {
      const counts = {
        raw: state.raw.get(d.path) ?? 0,
        total: state.total,
        noise: state.noise.get(d.path) ?? 0,
        noiseTotal: state.noiseTotal,
      };
      (isSignificant(counts, this.thresholds) ? real : noise).push(d);
    }
    // A truncated list may hide real differences past its end: never call that a match.
    return { mismatch: real.length > 0 || (observation.result.truncated && noise.length === 0), real, noise };
  }

  private noiseState(flag: string, route: string): NoiseState {
    const key = JSON.stringify([flag, route]);
    let state = this.noiseStates.get(key);
    if (state === undefined) {
      state = { total: 0, noiseTotal: 0, raw: new Map(), noise: new Map() };
      if (this.noiseStates.size >= this.maxWindows) this.noiseStates.clear();
      this.noiseStates.set(key, state);
    }
    return state;
  }

  private sample(observation: ComparisonObservation, real: readonly Difference[]): MismatchSample {
    const { sample } = observation;
    const out: MismatchSample = {
      at: new Date(observation.at ?? this.now()).toISOString(),
      differences: real.slice(0, MAX_DIFFERENCES_PER_SAMPLE).map((d) => boundedDifference(this.redactor.difference(d))),
    };
    if (sample?.requestId !== undefined) out.requestId = sample.requestId.slice(0, 256);
    if (sample?.method !== undefined) out.method = sample.method.slice(0, 32);
    if (sample?.url !== undefined) out.url = this.redactor.url(sample.url).slice(0, 4096);
    if (sample?.baselineStatus !== undefined) out.baselineStatus = sample.baselineStatus;
    if (sample?.darkStatus !== undefined) out.darkStatus = sample.darkStatus;
    return out;
  }

  /**
   * A path as counters store it: redacted (object keys can be secrets) and within the wire
   * format's bound, so that a deep or oddly keyed document never gets its whole batch refused.
   */
  private fieldPath(path: string): string {
    const redacted = this.redactor.difference({ path, location: "", kind: "changed" }).path;
    return clip(redacted, MAX_PATH_CHARS);
  }

  private window(flag: string, route: string, at: number | undefined): OpenWindow | undefined {
    // On every proxied request: a cheap key (flag keys cannot hold NUL) and the minute's ISO text
    // made once per minute, not a Date and a JSON text per call.
    const minuteMs = this.minuteMs;
    const start = Math.floor((at ?? this.now()) / minuteMs) * minuteMs;
    const last = this.last;
    const lastOfMinute = last !== undefined && last.start === start ? last.open : undefined;
    // Same window as the last call: no key text to build, flatten and hash (a proxy with one route
    // asks for the same window on every request of a minute).
    if (lastOfMinute !== undefined && lastOfMinute.key.flag === flag && lastOfMinute.key.route === route) return lastOfMinute;
    const id = `${start}\u0000${flag}\u0000${route}`;
    let open = this.windows.get(id);
    if (open === undefined) {
      const text = lastOfMinute?.key.start ?? new Date(start).toISOString();
      const key = { flag, source: this.options.source, route, start: text };
      if (this.windows.size >= this.maxWindows) {
        this.droppedCount++;
        return undefined;
      }
      open = { key, baseline: this.openSide(), dark: this.openSide(), comparison: emptyComparison(), samples: [] };
      this.windows.set(id, open);
    }
    if (last === undefined) this.last = { start, open };
    else {
      last.start = start;
      last.open = open;
    }
    return open;
  }

  private openSide(): OpenSide {
    return { requests: 0, errors: 0, sketch: new LatencySketch(), reservoir: new LatencyReservoir([], 0, RESERVOIR_CAPACITY, this.random) };
  }
}

function checkedMinute(minuteMs: number): number {
  if (!Number.isSafeInteger(minuteMs) || minuteMs < 1 || minuteMs > DEFAULT_MINUTE_MS) {
    throw new RangeError(`minuteMs must be a whole number of ms from 1 to ${DEFAULT_MINUTE_MS}, got ${minuteMs}`);
  }
  return minuteMs;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A sample difference within the wire format's bounds: a long path or location clipped, and a
 * value whose JSON text is long (a whole added subtree) replaced by the start of that text.
 */
function boundedDifference(difference: Difference): Difference {
  const out: Difference = {
    path: clip(difference.path, MAX_PATH_CHARS),
    location: clip(difference.location, MAX_LOCATION_CHARS),
    kind: difference.kind,
  };
  if (Object.hasOwn(difference, "baseline")) out.baseline = boundedValue(difference.baseline);
  if (Object.hasOwn(difference, "dark")) out.dark = boundedValue(difference.dark);
  return out;
}

function boundedValue(value: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return "(a value JSON cannot hold)";
  }
  // Nothing JSON can show (undefined): left as is, and left out on the wire.
  if (text === undefined) return value;
  return text.length <= MAX_SAMPLE_VALUE_CHARS ? value : clip(text, MAX_SAMPLE_VALUE_CHARS);
}

/** Within the wire format's bounds (0 to 1e9 ms), so that one odd measurement never gets a batch refused. */
function clampLatency(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_SKETCH_LATENCY_MS) : 0;
}

function countRequest(side: OpenSide, latencyMs: number, error: boolean): void {
  side.requests++;
  if (error) side.errors++;
  const latency = clampLatency(latencyMs);
  side.sketch.record(latency);
  side.reservoir.record(latency);
}

function closeSide(side: OpenSide): SideWindow {
  return { requests: side.requests, errors: side.errors, latency: side.sketch.toJSON(), reservoir: side.reservoir.toArray() };
}

function restoreSide(open: OpenSide, side: SideWindow): void {
  open.requests += side.requests;
  open.errors += side.errors;
  open.sketch.mergeData(side.latency);
  open.reservoir.merge(side.reservoir, side.requests);
}

/** Each path once. Most comparisons match: for them nothing is built. */
function uniquePaths(differences: readonly Difference[]): Iterable<string> {
  return differences.length === 0 ? NO_PATHS : new Set(differences.map((d) => d.path));
}

const NO_PATHS: readonly string[] = [];

function bump(counts: Map<string, number>, path: string): void {
  const current = counts.get(path);
  if (current !== undefined) counts.set(path, current + 1);
  else if (counts.size < MAX_NOISE_PATHS) counts.set(path, 1);
}
