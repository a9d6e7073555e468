/**
 * Exponential backoff with full jitter (a random delay in [0, min(cap, base · 2^attempt))): many
 * clients that lost the same server do not come back in step.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 1_000,
    private readonly capMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next try; each call doubles the ceiling up to the cap. */
  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(this.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }
}
