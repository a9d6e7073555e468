/**
 * A token bucket: `rate` tokens a second, holding at most `burst` (default one second's worth, at
 * least 1). `take()` never waits: a request without a token is dropped by the caller, not queued.
 *
 * @example
 * const bucket = new TokenBucket(50);
 * if (bucket.take()) mirror(request);
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly burst: number;

  constructor(
    private readonly rate: number,
    burst?: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = burst ?? Math.max(1, rate);
    this.tokens = this.burst;
    this.last = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
