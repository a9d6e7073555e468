import type { JudgeSettingsInput, RampPlanInput } from "@darklaunch/core";

/**
 * What the demo runs, in one place. The numbers are chosen so that the judge decides within about
 * a minute on one machine: every figure below is a per-ramp setting or a property of the sample
 * services, never a change of the judge's statistics.
 */

/** The flag the proxy routes on and the ramp moves: stable / shadow / dark. */
export const DEMO_FLAG = "quote-v2";

export const DEMO_FLAG_BODY = {
  key: DEMO_FLAG,
  description: "darklaunch demo: the new quote service (dark) against the current one (stable)",
  variants: { stable: "stable", shadow: "shadow", dark: "dark" },
  offVariant: "stable",
  enabled: true,
  fallthrough: { variant: "stable" },
};

/** A ramp minute of one second: the whole ramp plays in about a minute. */
export const DEMO_MINUTE_MS = 1000;

/** Requests per second the traffic generator sends through the proxy. */
export const DEMO_RATE = 150;

/**
 * Mirror 25 % → 100 % of users to dark, then serve from it. Each step is judged for 6 of its 8
 * minutes (2 of warm-up): a SAFE verdict holds once shown, so a regression must be seen within a
 * step's minutes; dark starts failing at the third step, and the fourth gives the judge more time.
 */
export const DEMO_PLAN: RampPlanInput = {
  shadowSteps: [25, 50, 75, 100],
  steps: [10, 50, 100],
  warmup: 2,
  minStep: 8,
  maxStep: 60,
  onInconclusive: "hold",
  rollbackTo: "zero",
};

/** The step (1-based, in the plan's order: mirror steps first) at which dark starts failing. */
export const FAIL_AT_STEP = 3;

/**
 * Errors decide alone: showing latency safe takes tens of thousands of requests (the p99 sees one
 * in a hundred), more than a one-minute demo sends. Latency is still judged for harm, with room
 * for dark's designed slowness (10 % longer delays: about 1.5× as many answers past stable's p99,
 * about 1.1× as many slower pairs as faster ones), so SAFE means dark's errors are shown below 2×
 * stable's (the safe margin must lie above every harm tolerance).
 */
export const DEMO_JUDGE: JudgeSettingsInput = {
  critical: ["errors"],
  tolerances: { errors: 1.1, latencyTail: 1.8, latencyPaired: 1.5, mismatches: 1.2, safe: 2 },
};

/**
 * Every instance fails this share of requests (a flaky inventory service behind all of them): the
 * judge compares dark's errors with stable's, and without a base rate there is nothing to compare.
 */
export const BASE_ERROR_RATE = 0.05;

/** Dark's bug, from `FAIL_AT_STEP` on: this share of requests more fails with a 503. */
export const DARK_EXTRA_ERROR_RATE = 0.08;

/** Mean answer delays (exponential, ms): dark is slightly slower. */
export const STABLE_DELAY_MS = 4;
export const DARK_DELAY_MS = 4.4;
