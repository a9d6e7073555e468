import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Dispatcher } from "undici";
import { errorReason, isConnectionError } from "./backend.js";
import type { BreakerPermit, CircuitBreaker } from "./circuit-breaker.js";
import { type ClientGoneListener, ClientWatch } from "./client-watch.js";
import { relayHeaders } from "./forward-headers.js";
import { type CallOutcome, type ProxyContext, recordCall } from "./proxy-context.js";
import type { ResponseCapture } from "./response-capture.js";

/** How a relayed call ended; `reason` says why it failed. */
export interface Forwarded {
  kind: "served" | "unreachable" | "failed" | "aborted";
  reason?: string;
}

/** Responses up to this size with a content-length are collected and written once, headers and body together. */
export const BUFFERED_RESPONSE_BYTES = 64 * 1024;

/** Split mode with fallback: dark's breaker and the permit it gave (perhaps the half-open probe). */
export interface BreakerHold {
  permit: BreakerPermit;
  of: CircuitBreaker;
}

class ClientGone extends Error {
  override readonly name = "ClientGone";
}

/**
 * One backend call whose answer goes to the client, as undici's raw dispatch handler: no response
 * stream, no promise, one listener. A small response with a content-length is collected and written
 * once with its headers (one write to the socket); a larger or chunked one is streamed as it comes,
 * with backpressure. `done` is called once: `served`; `unreachable` (nothing came back, nothing was
 * sent to the client); `failed` (another error before anything was sent); `aborted` (the client went
 * away, or the backend broke off a response already under way).
 */
export class Relay implements Dispatcher.DispatchHandler, ClientGoneListener {
  private abortCall: ((error: Error) => void) | undefined;
  private resumeCall: (() => void) | undefined;
  private gone = false;
  private settled = false;
  private status = 0;
  private headers: string[] = [];
  /** Collected body (buffered mode), or undefined while streaming. */
  private chunks: Buffer[] | undefined;
  private readonly started = performance.now();
  private readonly outcome: CallOutcome;
  /** The client's connection, kept: the response lets go of it once finished. */
  private readonly socket: Socket | null;

  constructor(
    private readonly context: ProxyContext,
    private readonly response: ServerResponse,
    outcome: CallOutcome,
    private readonly capture: ResponseCapture | undefined,
    private readonly breaker: BreakerHold | undefined,
    private readonly done: (forwarded: Forwarded) => void,
  ) {
    this.outcome = outcome;
    // One listener per connection (ClientWatch), not one per request.
    this.socket = response.socket;
    if (!ClientWatch.add(this.socket, this)) this.gone = true;
  }

  /** The client went away before its response was written: the backend call is aborted. */
  clientClosed(): void {
    if (this.response.writableFinished || this.settled) return;
    this.gone = true;
    this.abortCall?.(new ClientGone());
  }

  /** Bound once, and only for a response that had to wait for the client to read (large, streamed). */
  private onDrain: (() => void) | undefined;

  /** True once the client is gone; a fallback must not start. */
  get clientGone(): boolean {
    return this.gone;
  }

  onConnect(abort: (error?: Error) => void): void {
    this.abortCall = abort as (error: Error) => void;
    if (this.gone || this.response.destroyed) abort(new ClientGone());
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    // 1xx: node:http answers the client's `expect` itself; nothing to relay.
    if (status < 200) return true;
    this.status = status;
    this.resumeCall = resume;
    this.outcome.status = status;
    const { flat, contentLength } = relayHeaders(raw);
    this.headers = flat;
    this.capture?.start(status, flat);
    if (contentLength >= 0 && contentLength <= BUFFERED_RESPONSE_BYTES) {
      this.chunks = [];
      return true;
    }
    if (!this.writeHead()) {
      this.abortCall?.(new Error("unusable response headers"));
      return false;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.capture?.push(chunk);
    if (this.chunks !== undefined) {
      this.chunks.push(chunk);
      return true;
    }
    if (this.response.write(chunk)) return true;
    this.onDrain ??= () => this.resumeCall?.();
    this.response.once("drain", this.onDrain);
    return false;
  }

  onComplete(): void {
    if (this.settled) return;
    if (this.chunks !== undefined) {
      if (!this.writeHead()) return;
      const chunks = this.chunks;
      this.chunks = undefined;
      if (chunks.length === 0) this.response.end();
      else this.response.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    } else this.response.end();
    this.capture?.finish(false);
    this.settle(this.status >= 500, { kind: "served" });
  }

  onError(error: Error): void {
    if (this.settled) return;
    const sent = this.response.headersSent;
    if (this.gone || error instanceof ClientGone) {
      // The client went away: not the backend's failure; a breaker permit goes back unused.
      this.settled = true;
      ClientWatch.remove(this.socket, this);
      this.capture?.cancel();
      this.capture?.callDone(undefined, false);
      this.breaker?.of.abandon(this.breaker.permit);
      this.response.destroy();
      this.done({ kind: "aborted" });
      return;
    }
    if (sent || this.status !== 0) {
      // The backend broke off a response under way: the client must see the cut, not a short body.
      this.capture?.finish(true);
      this.response.destroy();
      this.settle(true, { kind: "aborted" });
      return;
    }
    this.capture?.cancel();
    this.settle(true, { kind: isConnectionError(error) ? "unreachable" : "failed", reason: errorReason(error) });
  }

  /** Writes the status and headers; false (and the call settled as failed) when Node refuses them. */
  private writeHead(): boolean {
    try {
      this.response.writeHead(this.status, this.headers);
    } catch (error) {
      // A header Node refuses to send (invalid characters): the response cannot be relayed.
      this.capture?.cancel();
      this.settle(true, { kind: "failed", reason: `unusable response headers: ${(error as Error).message}` });
      return false;
    }
    const served = this.context.stats.served;
    if (this.outcome.role === "stable") served.stable++;
    else served.dark++;
    return true;
  }

  /** Every ending reports to metrics, observations and the breaker once. */
  private settle(failed: boolean, forwarded: Forwarded): void {
    if (this.settled) return;
    this.settled = true;
    ClientWatch.remove(this.socket, this);
    const outcome = this.outcome;
    outcome.latencyMs = performance.now() - this.started;
    outcome.failed = failed;
    const capture = this.capture;
    // A mirror took this request: it records stable's outcome with dark's, as one pair.
    if (capture?.paired === true) outcome.side = undefined;
    const error = recordCall(this.context, outcome);
    capture?.callDone(outcome.latencyMs, error);
    if (this.breaker !== undefined) {
      if (failed) this.breaker.of.failure(this.breaker.permit);
      else this.breaker.of.success(this.breaker.permit);
    }
    this.done(forwarded);
  }
}
