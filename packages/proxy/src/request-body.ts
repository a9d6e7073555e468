import type { IncomingMessage } from "node:http";

/**
 * A request body read once, on its way to the serving backend, while up to `limit` bytes are kept
 * for a mirror or a retry. The request is streamed, never held back: what is kept is a copy.
 */
export class RequestBody {
  private chunks: Buffer[] = [];
  private size = 0;
  private over = false;
  private state: "unread" | "reading" | "done" | "failed" = "unread";
  /** The outcome once known (true: read to its end within the limit), before anyone asked for `done`. */
  private outcome: boolean | undefined;
  private resolveDone: ((complete: boolean) => void) | undefined;
  private donePromise: Promise<boolean> | undefined;

  constructor(
    private readonly request: IncomingMessage,
    private readonly limit: number,
    /** False for a request without a body (no content-length, no transfer-encoding). */
    readonly present: boolean,
  ) {
    if (!present) {
      this.state = "done";
      this.outcome = true;
      // Read to its end now, while it flows: left paused, its end waits for the response to finish
      // and for Node to drain it then, a chain of ticks more per request.
      request.resume();
    }
  }

  /**
   * True once the body was read to its end within the limit; false when it was not (over, aborted).
   * Made when first asked for (only a mirror waiting for the body asks): most requests never pay for a promise.
   */
  get done(): Promise<boolean> {
    if (this.donePromise === undefined) {
      const outcome = this.outcome;
      this.donePromise =
        outcome !== undefined
          ? Promise.resolve(outcome)
          : new Promise((resolve) => {
              this.resolveDone = resolve;
            });
    }
    return this.donePromise;
  }

  private settle(complete: boolean): void {
    if (this.outcome !== undefined) return;
    this.outcome = complete;
    this.resolveDone?.(complete);
  }

  static of(request: IncomingMessage, limit: number): RequestBody {
    const length = request.headers["content-length"];
    const present = request.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
    return new RequestBody(request, limit, present);
  }

  /** True when the body was larger than the limit. */
  get overLimit(): boolean {
    return this.over;
  }

  /** The whole body, once read within the limit (undefined for a request without one). */
  get bytes(): Buffer | undefined {
    if (!this.present || this.state !== "done" || this.over) return undefined;
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
  }

  /**
   * Settles `done` with false for a body no backend started to read (the backend could not be
   * reached): without it a mirror waiting for the body would hold its place for ever.
   */
  abandon(): void {
    if (this.state !== "unread") return;
    this.state = "failed";
    this.settle(false);
  }

  /** The body for the first backend: the request streamed through (undefined without a body). */
  stream(): AsyncIterable<Buffer> | undefined {
    if (!this.present) return undefined;
    return this.read();
  }

  /**
   * The body again for another backend (split mode's fallback): the kept bytes, or the untouched
   * request when nothing was read yet; `false` when it was partly sent and cannot be replayed.
   */
  replay(): AsyncIterable<Buffer> | Buffer | undefined | false {
    if (!this.present) return undefined;
    if (this.state === "unread") return this.read();
    return this.bytes ?? false;
  }

  private async *read(): AsyncGenerator<Buffer> {
    this.state = "reading";
    try {
      for await (const chunk of this.request as AsyncIterable<Buffer>) {
        if (!this.over) {
          this.size += chunk.length;
          if (this.size > this.limit) {
            this.over = true;
            this.chunks = [];
          } else this.chunks.push(chunk);
        }
        yield chunk;
      }
      this.state = "done";
      this.settle(!this.over);
    } catch (error) {
      this.state = "failed";
      this.settle(false);
      throw error;
    } finally {
      // The backend stopped reading early (it answered first, or the request was aborted).
      if (this.state === "reading") {
        this.state = "failed";
        this.settle(false);
      }
    }
  }
}
