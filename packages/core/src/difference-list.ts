import type { ComparisonResult, Difference } from "./difference.js";

/** Collects differences up to a limit and keeps counting one past it, so `truncated` is known without walking on. */
export class DifferenceList {
  private readonly listed: Difference[] = [];
  private found = 0;

  constructor(private readonly max: number) {}

  /** True once more differences were found than can be listed: the walk can stop. */
  get full(): boolean {
    return this.found > this.max;
  }

  add(difference: Difference): void {
    this.found++;
    if (this.listed.length < this.max) this.listed.push(difference);
  }

  result(): ComparisonResult {
    return { match: this.found === 0, differences: this.listed, truncated: this.found > this.max };
  }
}
