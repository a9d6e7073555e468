import { randomBytes } from "node:crypto";
import type { RampService, RampTick } from "./ramp-service.js";

export interface RampRunnerOptions {
  /** This replica's name in ramp leases (default: random). */
  replicaId?: string | undefined;
  /** Time between passes: the ramp minute (default 60 000). */
  minuteMs?: number | undefined;
  /** How long a lease lasts unless renewed (default max(3 minutes, 5 s)): a crashed replica's ramps wait this long. */
  leaseMs?: number | undefined;
  onError?: ((error: unknown, rampId: string | undefined) => void) | undefined;
  onTick?: ((tick: RampTick) => void) | undefined;
}

/**
 * Runs the ramps every minute: for each running ramp whose lease this replica holds or can take,
 * one `RampService.tick`. Passes never overlap (the next is scheduled when one ends), an error is
 * reported and the pass goes on, and `close` waits for a pass in flight, then gives up the leases
 * so another replica takes the ramps over at once.
 */
export class RampRunner {
  readonly replicaId: string;
  private readonly minuteMs: number;
  private readonly leaseMs: number;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly ramps: RampService,
    private readonly options: RampRunnerOptions = {},
  ) {
    this.replicaId = options.replicaId ?? `replica_${randomBytes(6).toString("hex")}`;
    this.minuteMs = options.minuteMs ?? 60_000;
    this.leaseMs = options.leaseMs ?? Math.max(3 * this.minuteMs, 5_000);
  }

  start(): void {
    this.schedule();
  }

  /** One pass over the running ramps now (the timer calls it; tests may too). */
  async runOnce(): Promise<void> {
    let running: Awaited<ReturnType<RampService["running"]>>;
    try {
      running = await this.ramps.running();
    } catch (error) {
      this.options.onError?.(error, undefined);
      return;
    }
    for (const ramp of running) {
      if (this.closed) return;
      try {
        if (!(await this.ramps.claim(ramp.id, this.replicaId, this.leaseMs))) continue;
        const tick = await this.ramps.tick(ramp, this.replicaId);
        this.options.onTick?.(tick);
      } catch (error) {
        this.options.onError?.(error, ramp.id);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.pass;
    try {
      await this.ramps.release(this.replicaId);
    } catch (error) {
      this.options.onError?.(error, undefined);
    }
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.pass = this.runOnce().finally(() => {
        this.pass = undefined;
        this.schedule();
      });
    }, this.minuteMs);
    this.timer.unref();
  }
}
