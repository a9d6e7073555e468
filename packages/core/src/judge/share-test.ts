import { RatioEProcess } from "./ratio-e-process.js";

/** Multipliers of the SRM test's alternatives: shares a few percent off already matter. */
const SRM_MULTIPLIERS: readonly number[] = [1.02, 1.05, 1.1, 1.25, 1.5, 2];

/**
 * Sample-ratio mismatch: is dark's share of what came (requests, or exposed subjects) off its
 * target by more than `floor` (relative)? Dark's count is Binomial(n, s) given the minute's n; the
 * null |s/target − 1| ≤ floor is tested on each side, and the e-value is the mean of the two.
 */
export class ShareTest {
  private up = srmProcess("harm");
  private down = srmProcess("safe");
  dark = 0;
  total = 0;
  targetWeighted = 0;

  constructor(private readonly floor: number) {}

  /** Adds one minute: dark's and base's counts and the share dark was meant to get. */
  update(dark: number, base: number, share: number | undefined): void {
    const n = dark + base;
    if (share === undefined || !(share > 0) || !(share < 1) || n <= 0) return;
    const up = share * (1 + this.floor);
    const down = share * (1 - this.floor);
    if (up < 1) this.up.update({ darkEvents: dark, darkExposure: up, baseEvents: base, baseExposure: 1 - up });
    this.down.update({ darkEvents: dark, darkExposure: down, baseEvents: base, baseExposure: 1 - down });
    this.dark += dark;
    this.total += n;
    this.targetWeighted += share * n;
  }

  /** The SRM e-value's log: the mean of the two one-sided ones (a mean of e-values is one). */
  get logE(): number {
    const a = this.up.logE;
    const b = this.down.logE;
    const max = Math.max(a, b);
    return max + Math.log((Math.exp(a - max) + Math.exp(b - max)) / 2);
  }

  get observedShare(): number | null {
    return this.total > 0 ? this.dark / this.total : null;
  }

  get targetShare(): number | null {
    return this.total > 0 ? this.targetWeighted / this.total : null;
  }
}

function srmProcess(direction: "harm" | "safe"): RatioEProcess {
  return new RatioEProcess({ nullRatio: 1, direction, multipliers: SRM_MULTIPLIERS });
}
