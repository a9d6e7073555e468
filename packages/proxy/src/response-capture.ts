import type { ComparedResponse } from "@darklaunch/core";

/**
 * A copy of a response as it streams to the client, for comparison: kept up to `limit` bytes;
 * `result` resolves with the response once it ended, or undefined (failed, over the limit, cancelled).
 */
export class ResponseCapture {
  private chunks: Buffer[] = [];
  private size = 0;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private active = true;
  private over = false;
  private settle!: (response: ComparedResponse | undefined) => void;
  readonly result: Promise<ComparedResponse | undefined>;

  constructor(private readonly limit: number) {
    this.result = new Promise((resolve) => {
      this.settle = resolve;
    });
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
