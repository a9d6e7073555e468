import type { ComparedResponse } from "@darklaunch/core";

/**
 * A copy of a response as it streams to the client, for comparison: kept up to `limit` bytes;
 * `whenDone` hands over the response once it ended, or undefined (failed, over the limit, cancelled).
 */
export class ResponseCapture {
  private chunks: Buffer[] = [];
  private size = 0;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private active = true;
  private over = false;
  private done = false;
  private response: ComparedResponse | undefined;
  private waiter: ((response: ComparedResponse | undefined) => void) | undefined;

  constructor(private readonly limit: number) {}

  /** Calls `callback` once with the response (or undefined): at once when it already ended. One waiter. */
  whenDone(callback: (response: ComparedResponse | undefined) => void): void {
    if (this.done) callback(this.response);
    else this.waiter = callback;
  }

  private settle(response: ComparedResponse | undefined): void {
    this.done = true;
    this.response = response;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(response);
  }

  get overLimit(): boolean {
    return this.over;
  }

  start(status: number, headers: Record<string, string | string[] | undefined>): void {
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
    this.settle(failed ? undefined : { status: this.status, headers: this.headers, body: Buffer.concat(chunks, this.size) });
  }

  /** Stops keeping the body (no mirror will want it) and resolves `result` with undefined. */
  cancel(): void {
    if (!this.active) return;
    this.active = false;
    this.chunks = [];
    this.settle(undefined);
  }
}
