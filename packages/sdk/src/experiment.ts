import { performance } from "node:perf_hooks";
import {
  type Comparator,
  type ComparisonResult,
  compileComparator,
  type Difference,
  type ObservationRecorder,
  positive,
} from "@darklaunch/core";
import { SdkError } from "./errors.js";

/**
 * The two paths of `client.experiment()`. `control` is the current code: its value (or error) is
 * what the caller gets. `candidate` is the new code: run on the side, measured and compared, never
 * seen by the caller. Either may be synchronous or return a promise.
 */
export interface ExperimentOptions<T> {
  control: () => T | PromiseLike<T>;
  /**
   * Given a signal that aborts when the candidate times out, so it can stop its work. It runs while
   * the control may still be running: the SDK cannot copy what the two share, so a candidate must
   * not mutate objects the control also uses (or returns) — the caller would see the change.
   * Likewise the comparison reads the control's value after the caller has it: a caller that
   * mutates that value before the candidate settles changes what is compared, never what it got.
   */
  candidate: (signal: AbortSignal) => T | PromiseLike<T>;
  /** Custom equality; default: a structural JSON diff of the two values. */
  compare?: (control: T, candidate: T) => boolean;
  /**
   * Paths the structural diff leaves out. The values are compared as response bodies, so paths
   * start with `body`: `body.updatedAt`, `body.items[].id`, `body.**.etag` (wildcards as in core's
   * `CompareOptions.ignore`). Not used with `compare`.
   */
  ignore?: readonly string[];
  /** How long the candidate may take before it counts as a dark error (default 1 000 ms). */
  timeoutMs?: number;
  /** The flag that decides who runs the candidate (default: the experiment's name). */
  flag?: string;
  /** The route observations are recorded under (default: the experiment's name). */
  route?: string;
}

/** Counters of in-process experiments (part of `client.observationStats()`). */
export interface ExperimentStats {
  /** Candidates started and not yet settled (a timed-out candidate stays until it settles). */
  candidatesInFlight: number;
  /** Included runs whose candidate was not started because `maxInFlight` were running. */
  candidatesSkipped: number;
  /** Comparisons that could not be made (a throwing `compare`, a value JSON cannot hold). */
  compareFailures: number;
}

type Outcome<T> = { ok: true; value: T; ms: number } | { ok: false; error: unknown; ms: number };

const DEFAULT_TIMEOUT_MS = 1_000;
const MAX_CACHED_COMPARATORS = 100;
const MAX_WATCHED_EXPERIMENTS = 1000;

/**
 * Runs the candidates of included experiment runs beside their controls, bounded in number, and
 * records both sides and their comparison into a recorder — always after the control's result has
 * gone back to the caller.
 */
export class ExperimentRunner {
  private inFlight = 0;
  private skipped = 0;
  private compareFailures = 0;
  /** Recordings not yet made, so that `close()` can wait for them before the last flush. */
  private readonly pending = new Set<Promise<void>>();
  private readonly comparators = new Map<string, Comparator>();
  private readonly watched = new Set<string>();
  /** Experiments whose control returned a promise: their two sides are called in random order. */
  private readonly asyncControls = new Set<string>();

  constructor(
    private readonly recorder: ObservationRecorder,
    private readonly maxInFlight: number,
    private readonly onError: (error: SdkError) => void,
  ) {}

  get stats(): ExperimentStats {
    return { candidatesInFlight: this.inFlight, candidatesSkipped: this.skipped, compareFailures: this.compareFailures };
  }

  /** Runs an included subject's experiment: the control's value or error, the candidate on the side. */
  async run<T>(flag: string, route: string, options: ExperimentOptions<T>): Promise<T> {
    // Over the bound neither side is recorded, so that both sides keep describing the same runs;
    // the run counts as a lost mirror, which the judge's mirror loss weighs against the pairs.
    // The experiment's key in `asyncControls` and `watched`.
    const key = `${flag}\u0000${route}`;
    if (this.inFlight >= this.maxInFlight) {
      this.skipped++;
      try {
        this.recorder.recordLostMirror({ flag, route });
        this.watch(flag, route, key);
      } catch {
        // The recorder is bounded and total; nothing here can fail but a bug, which must not escape.
      }
      return await options.control();
    }
    this.inFlight++;
    // An asynchronous control: the candidate starts in the same turn, so both sides wait on the
    // loop from the same moment. Started a turn later (under load the rest of the loop's I/O runs
    // first: milliseconds), the candidate would finish second more often, and the side that
    // finishes second waits for the first one's callbacks and the caller's work — a bias against
    // dark in the paired latency test, where both sides must be timed alike. Which of the two is
    // called first is a coin flip once the experiment's control is known to be asynchronous, so
    // that neither side is systematically first. A synchronous control is done at once: the
    // candidate waits for the next turn, so that even a synchronous candidate never runs before the
    // caller has its answer.
    let candidate: Promise<Outcome<T>> | undefined;
    if (this.asyncControls.has(key) && Math.random() < 0.5) {
      candidate = new Promise<Outcome<T>>((resolve) => this.startCandidate(options, resolve));
    }
    const started = performance.now();
    let result: T | PromiseLike<T>;
    try {
      result = options.control();
    } catch (error) {
      result = Promise.reject(error);
    }
    const async = isThenable(result);
    if (async && !this.asyncControls.has(key) && this.asyncControls.size < MAX_WATCHED_EXPERIMENTS) this.asyncControls.add(key);
    candidate ??= new Promise<Outcome<T>>((resolve) => {
      if (async) this.startCandidate(options, resolve);
      else setImmediate(() => this.startCandidate(options, resolve));
    });
    let control: Outcome<T>;
    try {
      const value = await result;
      control = { ok: true, value, ms: performance.now() - started };
    } catch (error) {
      control = { ok: false, error, ms: performance.now() - started };
    }
    const recording = candidate
      .then((outcome) => new Promise<Outcome<T>>((resolve) => setImmediate(() => resolve(outcome))))
      .then((outcome) => this.record(flag, route, key, options, control, outcome));
    this.pending.add(recording);
    void recording.finally(() => this.pending.delete(recording));
    if (control.ok) return control.value;
    throw control.error;
  }

  /** Resolves when every started run has been recorded, or after `ms`. */
  async settled(ms: number): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.pending),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
  }

  private startCandidate<T>(options: ExperimentOptions<T>, resolve: (outcome: Outcome<T>) => void): void {
    const timeoutMs = positive(options.timeoutMs, DEFAULT_TIMEOUT_MS);
    const abort = new AbortController();
    const started = performance.now();
    let done = false;
    const finish = (outcome: Outcome<T>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      const error = new Error(`the candidate timed out after ${timeoutMs} ms`);
      abort.abort(error);
      finish({ ok: false, error, ms: timeoutMs });
    }, timeoutMs);
    timer.unref();
    let result: PromiseLike<T> | T;
    try {
      result = options.candidate(abort.signal);
    } catch (error) {
      result = Promise.reject(error);
    }
    // Every outcome is handled here: a candidate's rejection is never unhandled, even after a timeout.
    Promise.resolve(result)
      .then(
        (value) => finish({ ok: true, value, ms: performance.now() - started }),
        (error: unknown) => finish({ ok: false, error, ms: performance.now() - started }),
      )
      .finally(() => {
        this.inFlight--;
      });
  }

  private record<T>(
    flag: string,
    route: string,
    key: string,
    options: ExperimentOptions<T>,
    control: Outcome<T>,
    candidate: Outcome<T>,
  ): void {
    try {
      // One request on each side and their pair (the judge's paired tests), in one window.
      this.recorder.recordPair({
        flag,
        route,
        baselineMs: control.ms,
        darkMs: candidate.ms,
        baselineError: !control.ok,
        darkError: !candidate.ok,
      });
      this.watch(flag, route, key);
    } catch {
      // The recorder is bounded and total; nothing here can fail but a bug, which must not escape.
      return;
    }
    let result: ComparisonResult;
    try {
      result = this.compare(options, control, candidate);
    } catch (error) {
      this.compareFailures++;
      this.onError(new SdkError("EXPERIMENT_FAILED", `experiment "${route}": cannot compare the results: ${messageOf(error)}`));
      return;
    }
    this.recorder.recordComparison({ flag, route, result });
  }

  /**
   * From its first recorded run on, an experiment is reported every minute, with zero requests
   * when nobody ran it: a quiet minute, not one nobody reported. Bounded, in case names are made per call.
   */
  private watch(flag: string, route: string, key: string): void {
    if (this.watched.has(key) || this.watched.size >= MAX_WATCHED_EXPERIMENTS) return;
    this.watched.add(key);
    this.recorder.watch(flag, route);
  }

  private compare<T>(options: ExperimentOptions<T>, control: Outcome<T>, candidate: Outcome<T>): ComparisonResult {
    if (!control.ok || !candidate.ok) {
      const a = control.ok ? undefined : messageOf(control.error);
      const b = candidate.ok ? undefined : messageOf(candidate.error);
      // Both failing the same way is agreement; anything else differs at `error`.
      return a !== undefined && a === b ? MATCH() : mismatch({ path: "error", location: "error", kind: "changed", baseline: a, dark: b });
    }
    if (options.compare) {
      return options.compare(control.value, candidate.value) ? MATCH() : mismatch({ path: "body", location: "body", kind: "changed" });
    }
    const a = JSON.stringify(control.value);
    const b = JSON.stringify(candidate.value);
    // `undefined` (and functions) have no JSON text: equal only to each other.
    if (a === undefined || b === undefined) {
      return a === b ? MATCH() : mismatch({ path: "body", location: "body", kind: a === undefined ? "added" : "removed" });
    }
    return this.comparator(options.ignore)({ status: 200, headers: {}, body: a }, { status: 200, headers: {}, body: b });
  }

  private comparator(ignore: readonly string[] | undefined): Comparator {
    const key = JSON.stringify(ignore ?? []);
    let comparator = this.comparators.get(key);
    if (comparator === undefined) {
      comparator = compileComparator({ json: true, ignore: ignore ?? [] });
      // Ignore lists are normally constants; a caller building one per call must not grow this map.
      if (this.comparators.size >= MAX_CACHED_COMPARATORS) this.comparators.clear();
      this.comparators.set(key, comparator);
    }
    return comparator;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === "function"
  );
}

const MATCH = (): ComparisonResult => ({ match: true, differences: [], truncated: false });

function mismatch(difference: Difference): ComparisonResult {
  return { match: false, differences: [difference], truncated: false };
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return "(an unprintable error)";
  }
}

/**
 * Refuses a call that cannot be an experiment before anything runs, naming the bad argument: a
 * mistake in wiring shows at the first call, not as a comparison failure later. Ignore patterns are
 * compiled here too, so a bad one is a `ValidationError` naming it (`ignore[0]: …`).
 */
export function checkExperimentArguments<T>(name: unknown, options: ExperimentOptions<T> | undefined): void {
  function bad(what: string): never {
    throw new SdkError("INVALID_ARGUMENT", `experiment(${typeof name === "string" ? JSON.stringify(name) : "…"}): ${what}`);
  }
  if (typeof name !== "string" || name === "") bad("the name must be a non-empty string (the flag key, unless options.flag is given)");
  if (typeof options !== "object" || options === null) bad("the third argument must be an options object { control, candidate }");
  if (typeof options.control !== "function") bad("options.control must be a function");
  if (typeof options.candidate !== "function") bad("options.candidate must be a function");
  if (options.compare !== undefined && typeof options.compare !== "function") bad("options.compare must be a function");
  if (options.flag !== undefined && (typeof options.flag !== "string" || options.flag === ""))
    bad("options.flag must be a non-empty string");
  if (options.route !== undefined && (typeof options.route !== "string" || options.route === ""))
    bad("options.route must be a non-empty string");
  if (
    options.timeoutMs !== undefined &&
    !(typeof options.timeoutMs === "number" && Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)
  ) {
    bad(`options.timeoutMs must be a positive number of milliseconds, got ${String(options.timeoutMs)}`);
  }
  if (options.ignore !== undefined) {
    if (!Array.isArray(options.ignore) || options.ignore.some((p) => typeof p !== "string"))
      bad("options.ignore must be an array of path strings");
    compileComparator({ json: true, ignore: options.ignore });
  }
}
