import type { ComparedResponse } from "@darklaunch/core";
import { RelayedResponse } from "./compared-response.js";

/**
 * Stable's side of one mirrored request. A copy of the response as it streams to the client, for
 * comparison, kept up to `limit` bytes; and the call's outcome (latency, error), which the mirror
 * records with dark's as one pair. `whenDone` hands over the response (or undefined: failed, over
 * the limit, cancelled) once the response and the call have both ended.
 */
export class ResponseCapture {
  private chunks: Buffer[] = [];
  private size = 0;
  private status = 0;
  private headers: readonly string[] = [];
  private active = true;
  private over = false;
  private done = false;
  private response: ComparedResponse | undefined;
  private waiter: ((response: ComparedResponse | undefined) => void) | undefined;
  private claimed = false;
  private callEnded = false;
  /** Stable's latency in ms once its call ended; undefined when it ended with nothing to count (the client left). */
  baselineMs: number | undefined;
  /** Stable's call failed (5xx, no answer, broken off). */
  baselineError = false;

  constructor(private readonly limit: number) {}

  /** Calls `callback` once with the response (or undefined) when the response and the call have ended: at once if they have. One waiter. */
  whenDone(callback: (response: ComparedResponse | undefined) => void): void {
    if (this.done && this.callEnded) callback(this.response);
    else this.waiter = callback;
  }

  /**
   * Called by the mirror as it sends the copy: stable's outcome is then recorded by the mirror with
   * dark's, as one pair in one window, and not on its own. False when stable's call has already
   * ended (it was recorded on its own; so is dark's then).
   */
  claim(): boolean {
    if (this.callEnded) return false;
    this.claimed = true;
    return true;
  }

  /** A mirror took stable's outcome: the relay leaves the baseline observation to it. */
  get paired(): boolean {
    return this.claimed;
  }

  /** Stable's call ended: its latency (undefined: nothing to count, the client left) and whether it failed. */
  callDone(latencyMs: number | undefined, error: boolean): void {
    this.callEnded = true;
    this.baselineMs = latencyMs;
    this.baselineError = error;
    this.notify();
  }

  private settle(response: ComparedResponse | undefined): void {
    this.done = true;
    this.response = response;
    this.notify();
  }

  private notify(): void {
    if (!this.done || !this.callEnded) return;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(this.response);
  }

  get overLimit(): boolean {
    return this.over;
  }

  /** Stable's status and fields as relayed (`[name, value, …]`, hop-by-hop fields left out). */
  start(status: number, headers: readonly string[]): void {
    this.status = status;
    this.headers = headers;
  }

  push(chunk: Buffer): void {
    if (!this.active) return;
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.over = true;
      this.cancel();
    } else this.chunks.push(chunk);
  }

  finish(failed: boolean): void {
    if (!this.active) return;
    this.active = false;
    const chunks = this.chunks;
    this.chunks = [];
    this.settle(failed ? undefined : new RelayedResponse(this.status, this.headers, Buffer.concat(chunks, this.size)));
  }

  /** Stops keeping the body (no mirror will want it) and resolves `result` with undefined. */
  cancel(): void {
    if (!this.active) return;
    this.active = false;
    this.chunks = [];
    this.settle(undefined);
  }
}
