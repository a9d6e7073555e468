import type { BreakerConfig } from "./proxy-config.js";

export type BreakerState = "closed" | "half-open" | "open";

/** What `tryAcquire()` grants: an ordinary call (closed) or the single half-open probe. */
export type BreakerPermit = "call" | "probe";

/** The `breaker_state` gauge's values. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };

/**
 * A circuit breaker for one backend. Closed, it opens after `failures` consecutive failures or when
 * at least `errorRate` of the last `window` calls failed (a full window is needed for the rate).
 * Open, it refuses every call for `openMs`; then it is half-open and lets exactly one probe through:
 * a success closes it, a failure opens it again.
 *
 * @example
 * const permit = breaker.tryAcquire();
 * if (permit === undefined) return dropped("breaker");
 * try { await call(); breaker.success(permit); } catch { breaker.failure(permit); }
 */
export class CircuitBreaker {
  private consecutive = 0;
  private readonly outcomes: boolean[] = [];
  private failuresInWindow = 0;
  private openedAt = 0;
  private opened = false;
  private probing = false;
  private probes = 0;

  constructor(
    private readonly config: BreakerConfig,
    private readonly now: () => number = Date.now,
    private readonly onChange: (state: BreakerState) => void = () => {},
  ) {}

  get state(): BreakerState {
    if (!this.opened) return "closed";
    return this.now() - this.openedAt >= this.config.openMs ? "half-open" : "open";
  }

  /** Half-open probes let through so far. */
  get probeCount(): number {
    return this.probes;
  }

  /**
   * A permit when a call may go ahead, undefined when not. Every permit must be handed back to
   * `success()`, `failure()` or (for a call never made, or given up) `abandon()`.
   */
  tryAcquire(): BreakerPermit | undefined {
    const state = this.state;
    if (state === "closed") return "call";
    if (state === "open" || this.probing) return undefined;
    this.probing = true;
    this.probes++;
    this.onChange("half-open");
    return "probe";
  }

  /** Gives back a permit whose call was never made or was given up: a half-open breaker may probe again. */
  abandon(permit: BreakerPermit): void {
    if (permit === "probe") this.probing = false;
  }

  success(permit: BreakerPermit = "call"): void {
    if (this.opened) {
      // Only the probe speaks for the backend now: a call from before the breaker opened (it may
      // end during the probe) says nothing about it.
      if (permit !== "probe" || !this.probing) return;
      this.reset();
      this.onChange("closed");
      return;
    }
    this.consecutive = 0;
    this.push(false);
  }

  failure(permit: BreakerPermit = "call"): void {
    if (this.opened) {
      if (permit !== "probe" || !this.probing) return;
      this.probing = false;
      this.openedAt = this.now();
      this.onChange("open");
      return;
    }
    this.consecutive++;
    this.push(true);
    const full = this.outcomes.length >= this.config.window;
    if (this.consecutive >= this.config.failures || (full && this.failuresInWindow / this.outcomes.length >= this.config.errorRate)) {
      this.opened = true;
      this.openedAt = this.now();
      this.onChange("open");
    }
  }

  private push(failed: boolean): void {
    this.outcomes.push(failed);
    if (failed) this.failuresInWindow++;
    if (this.outcomes.length > this.config.window && this.outcomes.shift() === true) this.failuresInWindow--;
  }

  private reset(): void {
    this.opened = false;
    this.probing = false;
    this.consecutive = 0;
    this.outcomes.length = 0;
    this.failuresInWindow = 0;
  }
}
