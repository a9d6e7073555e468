import {
  type Comparator,
  type ComparedResponse,
  type ComparisonResult,
  compileComparator,
  compileRedactor,
  hideSecretQuery,
  type Redactor,
} from "@darklaunch/core";
import type { Dispatcher } from "undici";
import type { Backend } from "./backend.js";
import type { BreakerPermit } from "./circuit-breaker.js";
import { RelayedResponse } from "./compared-response.js";
import { type FlatHeaders, relayHeaders, setHeader } from "./forward-headers.js";
import type { RouteConfig } from "./proxy-config.js";
import { type CallOutcome, callFailed, type ProxyContext, recordCall } from "./proxy-context.js";
import type { BackendRole, DropReason } from "./proxy-metrics.js";
import { countPaths } from "./proxy-stats.js";
import type { ResponseCapture } from "./response-capture.js";
import { TokenBucket } from "./token-bucket.js";

/** One request to mirror: what was sent to stable, and stable's response once it has streamed. */
export interface MirrorJob {
  method: string;
  /** `/path?query` as the client sent it. */
  url: string;
  headers: FlatHeaders;
  body: Buffer | undefined;
  requestId: string;
  /** Stable's response as it streams to the client, and its outcome (latency, error) once the call ended. */
  baseline: ResponseCapture;
}

/** A place taken for one mirror by `reserve()`; `send()` or `release()` gives it back. */
export interface MirrorSlot {
  dark: BreakerPermit;
  /** Undefined: the secondary's breaker refused (or there is none); dark is still mirrored. */
  secondary: BreakerPermit | undefined;
}

type MirrorResult = { response: ComparedResponse } | { overLimit: true } | undefined;

/**
 * The shadow half of one route: sends copies of requests to dark (and secondary) without ever
 * touching the stable response — bounded in flight (excess dropped, never queued), rate-limited,
 * timed out, behind each backend's breaker — and compares the answers off the request path.
 */
export class Mirror {
  private inflight = 0;
  private readonly bucket: TokenBucket | undefined;
  private readonly comparator: Comparator;
  private readonly redactor: Redactor;
  /** Comparisons made and mismatched since start: the divergence gauge reads them at scrape time. */
  private readonly divergence = { total: 0, mismatched: 0 };
  /** The route's flag and name, as the recorder takes them. */
  private readonly where: { flag: string; route: string };

  constructor(
    private readonly route: RouteConfig,
    private readonly dark: Backend,
    private readonly secondary: Backend | undefined,
    private readonly context: ProxyContext,
  ) {
    this.where = { flag: route.flag, route: route.name };
    this.bucket = route.mirrorRate === undefined ? undefined : new TokenBucket(route.mirrorRate);
    this.comparator = compileComparator(route.compare);
    this.redactor = compileRedactor(route.redaction);
    context.metrics.mirrorCounts.divergence.set(route.name, this.divergence);
  }

  /** Counts a mirror that will not be sent (or not compared). */
  drop(reason: DropReason): void {
    this.context.metrics.mirrorCounts.dropped[reason]++;
    this.context.stats.mirrors.dropped[reason]++;
  }

  /**
   * Takes a place for one mirror before anything is copied (in flight, a token, the breakers), or
   * counts why there is none and returns undefined: a request past the bounds costs nothing more.
   */
  reserve(): MirrorSlot | undefined {
    // The rate limit samples first, whatever dark does: what it refuses is not lost, only not
    // mirrored. A mirror it lets through was meant: refused past this point, it is lost.
    if (this.bucket !== undefined && !this.bucket.take()) {
      this.drop("rate");
      return undefined;
    }
    if (this.inflight >= this.route.maxInflight) return this.refuse("inflight");
    const dark = this.dark.breaker.tryAcquire();
    if (dark === undefined) return this.refuse("breaker");
    const secondary = this.secondary?.breaker.tryAcquire();
    this.inflight++;
    const { stats, metrics } = this.context;
    stats.mirrors.inflight++;
    stats.mirrors.peakInflight = Math.max(stats.mirrors.peakInflight, stats.mirrors.inflight);
    metrics.mirrorCounts.inflight++;
    return { dark, secondary };
  }

  /**
   * Gives back a place whose request will not be sent: `lost` when that is the mirror's doing (its
   * body over the limit), not when stable could not be reached (then nothing was meant to pair).
   */
  release(slot: MirrorSlot, lost: boolean): void {
    this.dark.breaker.abandon(slot.dark);
    if (slot.secondary !== undefined) this.secondary?.breaker.abandon(slot.secondary);
    this.leave();
    if (lost) this.lost();
  }

  /** A mirror this route meant to make that will end without a pair: the judge's mirror loss counts it. */
  private lost(): void {
    try {
      // Made once: with dark down every request of the route comes here. A sink without the
      // method (one of the user's own, written before it) counts nothing lost.
      this.context.observations.recordLostMirror?.(this.where);
    } catch (error) {
      this.context.warn("recording an observation failed", error);
    }
  }

  /** Sends the job to dark (and secondary) in a reserved place; returns at once. */
  send(slot: MirrorSlot, job: MirrorJob): void {
    this.context.stats.mirrors.sent++;
    this.context.begin();
    // Stable and dark are recorded together, as one pair in one window, once both have ended: a
    // window never holds a pair without its two requests, however a flush or a minute cuts them.
    const paired = job.baseline.claim();
    // Stable's call ended before the body was read: dark is recorded alone, with no pair.
    if (!paired) this.lost();
    const withSecondary = slot.secondary !== undefined && this.secondary !== undefined;
    let waiting = withSecondary ? 2 : 1;
    let dark: MirrorResult;
    let secondary: MirrorResult;
    // Plain callbacks: the place comes back when both calls ended, the comparison waits for stable's answer.
    const ended = () => {
      if (--waiting > 0) return;
      this.leave();
      job.baseline.whenDone((baseline) => {
        try {
          if (paired) this.recordOutcomes(job.baseline, darkOutcome);
          this.judge(job, baseline, dark, secondary);
        } catch (error) {
          this.context.warn("a mirror failed unexpectedly", error);
        } finally {
          this.context.end();
        }
      });
    };
    // Made before the call: a call refused outright ends (and may record) before `call` returns.
    const darkOutcome = this.outcome("dark", !paired);
    this.call(this.dark, slot.dark, job, darkOutcome, (result) => {
      dark = result;
      ended();
    });
    if (withSecondary)
      this.call(this.secondary as Backend, slot.secondary as BreakerPermit, job, this.outcome("secondary", false), (result) => {
        secondary = result;
        ended();
      });
  }

  /** Records stable's and dark's outcomes of one mirrored request: a pair, or dark alone when stable's client left. */
  private recordOutcomes(baseline: ResponseCapture, dark: CallOutcome): void {
    const { flag, name: route } = this.route;
    const darkError = callFailed(dark);
    try {
      if (baseline.baselineMs === undefined) {
        // Stable's client left: nothing of stable's to pair with.
        this.context.observations.recordRequest({ flag, route, side: "dark", latencyMs: dark.latencyMs, error: darkError });
        this.lost();
      } else
        this.context.observations.recordPair({
          flag,
          route,
          baselineMs: baseline.baselineMs,
          darkMs: dark.latencyMs,
          baselineError: baseline.baselineError,
          darkError,
        });
    } catch (error) {
      this.context.warn("recording an observation failed", error);
    }
  }

  /** Queues the comparison of what came back, or counts why there is none. */
  private judge(job: MirrorJob, baseline: ComparedResponse | undefined, dark: MirrorResult, secondary: MirrorResult): void {
    // Stable's answer over the limit is as uncomparable as dark's, and counted the same way.
    if (baseline === undefined) {
      if (job.baseline.overLimit) this.drop("body_limit");
      return;
    }
    if (dark === undefined) return;
    if (!("response" in dark)) {
      this.drop("body_limit");
      return;
    }
    const noise = secondary !== undefined && "response" in secondary ? secondary.response : undefined;
    if (!this.context.queue.push(() => this.compare(job, baseline, dark.response, noise))) this.drop("queue");
  }

  private leave(): void {
    this.inflight--;
    this.context.stats.mirrors.inflight--;
    this.context.metrics.mirrorCounts.inflight--;
  }

  private refuse(reason: DropReason): undefined {
    this.drop(reason);
    this.lost();
    return undefined;
  }

  /** A mirrored call's outcome, filled in when it ends; `observe` records it as a dark request on its own. */
  private outcome(role: BackendRole, observe: boolean): CallOutcome {
    return {
      route: this.route.name,
      flag: this.route.flag,
      role,
      latencyMs: 0,
      status: undefined,
      // The secondary is a second stable, there only to measure noise: not an observation side.
      side: observe && role === "dark" ? "dark" : undefined,
    };
  }

  /** One mirrored call: `done` gets undefined when no usable response came. */
  private call(backend: Backend, permit: BreakerPermit, job: MirrorJob, outcome: CallOutcome, done: (result: MirrorResult) => void): void {
    const headers = job.headers.concat(SHADOW_MARK);
    // The body is sent whole, so its length is known: the client's own field (or its chunking) is
    // replaced (Node keeps one content-length of a request).
    if (job.body !== undefined) setHeader(headers, "content-length", String(job.body.length));
    const handler = new MirrorCall(this.route, backend, permit, outcome, this.context, done);
    try {
      backend.pool.dispatch(
        {
          path: backend.path(job.url),
          method: job.method as Dispatcher.HttpMethod,
          headers,
          body: job.body,
          // undici's own timers, not an AbortSignal.timeout() per mirror: the dark side must send its
          // headers, and then each part of its body, within the timeout.
          headersTimeout: this.route.timeoutMs,
          bodyTimeout: this.route.timeoutMs,
        },
        handler,
      );
    } catch (error) {
      // undici refused the request outright (a closed pool): a failed call like any other.
      handler.onError(error as Error);
    }
  }

  private compare(job: MirrorJob, baseline: ComparedResponse, dark: ComparedResponse, secondary: ComparedResponse | undefined): void {
    const result = this.redacted(this.comparator(baseline, dark));
    const noise = secondary === undefined ? undefined : this.redacted(this.comparator(baseline, secondary));
    const verdict = this.context.observations.recordComparison({
      flag: this.route.flag,
      route: this.route.name,
      result,
      noise,
      // A sample is kept only for a mismatch: a match need not pay for redacting its URL.
      sample: result.match
        ? undefined
        : {
            requestId: job.requestId,
            method: job.method,
            url: this.redactor.url(hideSecretQuery(job.url)),
            baselineStatus: baseline.status,
            darkStatus: dark.status,
          },
    });
    const { stats, metrics } = this.context;
    this.divergence.total++;
    stats.comparisons.total++;
    if (verdict.mismatch) {
      this.divergence.mismatched++;
      stats.comparisons.mismatch++;
    } else stats.comparisons.match++;
    countPaths(stats.comparisons.fields, verdict.real);
    countPaths(stats.comparisons.noise, verdict.noise);
    // Plain numbers: the counters and the divergence gauge read them at scrape time.
    const counts = metrics.mirrorCounts;
    if (verdict.mismatch) counts.mismatch++;
    else counts.match++;
  }

  /** Secrets leave the proxy's hands hidden: the route's redaction runs before the recorder's own. */
  private redacted(result: ComparisonResult): ComparisonResult {
    if (result.differences.length === 0) return result;
    return { ...result, differences: result.differences.map((d) => this.redactor.difference(d)) };
  }
}

/** What marks a mirror to the dark side (`backendHeaders` never passes a client's own on). */
const SHADOW_MARK: FlatHeaders = ["x-dark-launch", "shadow"];

class MirrorTimeout extends Error {
  override readonly name = "TimeoutError";
}

/** A mirrored call as undici's raw handler: the answer collected up to the body limit, no stream. */
class MirrorCall implements Dispatcher.DispatchHandler {
  private abort: ((error: Error) => void) | undefined;
  private status = 0;
  private headers: string[] = [];
  private chunks: Buffer[] = [];
  private size = 0;
  private overLimit = false;
  private settled = false;
  private readonly started = performance.now();

  constructor(
    private readonly route: RouteConfig,
    private readonly backend: Backend,
    private readonly permit: BreakerPermit,
    private readonly outcome: CallOutcome,
    private readonly context: ProxyContext,
    private readonly done: (result: MirrorResult) => void,
  ) {}

  onConnect(abort: (error?: Error) => void): void {
    this.abort = abort as (error: Error) => void;
  }

  onHeaders(status: number, raw: Buffer[]): boolean {
    if (status < 200) return true;
    this.status = status;
    // As stable's are kept for the comparison: strings (the buffers are undici's), hop-by-hop fields left out.
    this.headers = relayHeaders(raw).flat;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > this.route.bodyLimit) {
      // The answer is not compared; the call counts as answered (its status came).
      this.overLimit = true;
      this.chunks = [];
      this.complete();
      this.abort?.(new MirrorOverLimit());
      return false;
    }
    this.chunks.push(chunk);
    // bodyTimeout bounds each pause, not the whole: a dark side trickling its body for ever
    // would hold the place. Checked per chunk (no timer), so a mirror ends within 2 × timeoutMs.
    if (performance.now() - this.started > this.route.timeoutMs) {
      this.abort?.(new MirrorTimeout());
      return false;
    }
    return true;
  }

  onComplete(): void {
    this.complete();
  }

  onError(_error?: Error): void {
    if (this.settled) return;
    this.backend.breaker.failure(this.permit);
    this.end(undefined);
  }

  private complete(): void {
    if (this.settled) return;
    this.outcome.status = this.status;
    if (this.status >= 500) this.backend.breaker.failure(this.permit);
    else this.backend.breaker.success(this.permit);
    if (this.overLimit) this.end({ overLimit: true });
    else {
      const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
      this.end({ response: new RelayedResponse(this.status, this.headers, body) });
    }
  }

  private end(result: MirrorResult): void {
    this.settled = true;
    this.chunks = [];
    this.outcome.latencyMs = performance.now() - this.started;
    recordCall(this.context, this.outcome);
    this.done(result);
  }
}

class MirrorOverLimit extends Error {
  override readonly name = "MirrorOverLimit";
}
