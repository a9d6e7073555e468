import type { ReadyEvent } from "./client-events.js";
import { SdkError } from "./errors.js";

/**
 * The promise behind `ready()`: settled once, by the first snapshot served, a refused token, the
 * close of the client or the ready timeout, whichever comes first.
 */
export class Readiness {
  readonly promise: Promise<ReadyEvent>;
  private settleWith: ((outcome: ReadyEvent | SdkError) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor() {
    this.promise = new Promise<ReadyEvent>((resolve, reject) => {
      this.settleWith = (outcome) => {
        this.settleWith = undefined;
        clearTimeout(this.timer);
        if (outcome instanceof SdkError) reject(outcome);
        else resolve(outcome);
      };
    });
    // ready() may never be called: a rejection nobody awaits must not crash the process.
    this.promise.catch(() => {});
  }

  /** True until the promise is settled. */
  get pending(): boolean {
    return this.settleWith !== undefined;
  }

  /** Calls `onTimeout` after `ms` unless settled by then; the timer never keeps the process alive. */
  deadline(ms: number, onTimeout: () => void): void {
    this.timer = setTimeout(onTimeout, ms);
    this.timer.unref();
  }

  /** Resolves with `outcome`, or rejects with it when it is an error; later calls do nothing. */
  settle(outcome: ReadyEvent | SdkError): void {
    this.settleWith?.(outcome);
  }
}
