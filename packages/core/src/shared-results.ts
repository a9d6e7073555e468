import type { EvaluationResult } from "./result.js";

/** Hidden (non-enumerable) on each shared result: JSON, spreads and equality checks never see it. */
const SLOT: unique symbol = Symbol("darklaunch.sharedResultSlot");

type Numbered = EvaluationResult<unknown> & { readonly [SLOT]?: number };

/**
 * The results a snapshot builds once and returns to every evaluation that ends the same way,
 * numbered in the order they were built. A counter keyed by that number (a typed array) counts an
 * evaluation with one load and one increment, where a Map keyed by the result's identity missed the
 * cache (the SDK README's "Evaluation cost" has the figures).
 */
export class SharedResults {
  private readonly list: EvaluationResult<unknown>[] = [];

  /** Numbers the result, freezes it and returns it. */
  share<T>(result: EvaluationResult<T>): EvaluationResult<T> {
    Object.defineProperty(result, SLOT, { value: this.list.length });
    this.list.push(result);
    return Object.freeze(result);
  }

  get size(): number {
    return this.list.length;
  }

  /** The result numbered `slot`. */
  at(slot: number): EvaluationResult<unknown> | undefined {
    return this.list[slot];
  }
}

/** The number of a result a snapshot shares, or -1 for one built for a single evaluation (an error, a position). */
export function sharedSlot(result: EvaluationResult<unknown>): number {
  return (result as Numbered)[SLOT] ?? -1;
}
