import type { FlagRecord, ObservationSeries, RampRecord } from "@darklaunch/core";

/** A flag's place in a launch: what the list shows in its badge (words and a shape, never colour alone). */
export type LaunchState = "ramping" | "paused" | "shadow" | "rolling-out" | "rolled-back" | "off" | "full" | "not-launched";

export const LAUNCH_STATE_LABELS: Record<LaunchState, { icon: string; label: string }> = {
  ramping: { icon: "▲", label: "ramping" },
  paused: { icon: "❚❚", label: "ramp paused" },
  shadow: { icon: "◐", label: "mirrored (shadow)" },
  "rolling-out": { icon: "◔", label: "rolling out" },
  "rolled-back": { icon: "↺", label: "rolled back" },
  off: { icon: "○", label: "off" },
  full: { icon: "●", label: "fully on" },
  "not-launched": { icon: "·", label: "not launched" },
};

/** A ramp not over yet: running, or paused (it carries its effective settings and moves the flag). */
export function isRampInProgress<R extends Pick<RampRecord, "status">>(ramp: R | null | undefined): ramp is R {
  return ramp != null && (ramp.status === "running" || ramp.status === "paused");
}

/** The ramp that speaks for a flag: its running or paused one, else its newest. */
export function rampOf(flag: string, ramps: readonly RampRecord[]): RampRecord | undefined {
  const mine = ramps.filter((r) => r.flag === flag);
  return mine.find((r) => isRampInProgress(r)) ?? mine.sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
}

export function launchState(flag: Pick<FlagRecord, "enabled" | "percentage">, ramp: RampRecord | undefined): LaunchState {
  if (ramp?.status === "running") return ramp.state.phase === "shadow" ? "shadow" : "ramping";
  if (ramp?.status === "paused") return "paused";
  if (!flag.enabled) return ramp?.status === "rolled_back" ? "rolled-back" : "off";
  if (ramp?.status === "rolled_back") return "rolled-back";
  if (flag.percentage !== null && flag.percentage > 0 && flag.percentage < 100) return "rolling-out";
  if (flag.percentage === 100 && ramp !== undefined) return "full";
  return "not-launched";
}

/** Under a dark launch or ramp: a ramp that is not over, a partial rollout, or one rolled back. */
export function isUnderLaunch(state: LaunchState): boolean {
  return state !== "not-launched" && state !== "off" && state !== "full";
}

/** `step 2 of 5 · serve 25%`, or null without a ramp in progress. */
export function stepText(ramp: RampRecord | undefined): string | null {
  if (!isRampInProgress(ramp)) return null;
  const steps = ramp.state.phase === "shadow" ? ramp.plan.shadowSteps : ramp.plan.steps;
  return `${ramp.state.phase} step ${ramp.state.step + 1} of ${steps.length} · ${ramp.state.target.percentage}%`;
}

/**
 * When the judge may next move the ramp: the step's minimum time from its start (in the ramp's own
 * minutes, which tests shorten). Null when no ramp runs.
 */
export function nextGate(ramp: RampRecord | undefined, now: number): { at: number; due: boolean } | null {
  if (ramp === undefined || ramp.status !== "running") return null;
  const at = ramp.state.stepStartedAt + ramp.plan.minStep * ramp.minuteMs;
  return { at, due: at <= now };
}

/** The ramp's worst news: its last verdict's state and what crossed, or null without one. */
export function worstMetric(ramp: RampRecord | undefined): { state: string; text: string } | null {
  const verdict = ramp?.state.lastVerdict;
  if (verdict === undefined || verdict === null) return null;
  return { state: verdict.state, text: verdict.crossed.length > 0 ? verdict.crossed.join(", ") : verdict.why };
}

export type Trend = "rising" | "falling" | "steady";

/** The compact executive summary of a launch over the period read. */
export interface LaunchSummary {
  /** Dark's share of the requests both sides saw; null without traffic. */
  darkShare: number | null;
  /** `mirrored` when dark got copies (shadow pairs), `served` when it answered users. */
  mode: "mirrored" | "served" | null;
  divergence: number | null;
  trend: Trend | null;
  /** Start of the newest step with traffic, or null when the period had none. */
  lastDataAt: number | null;
  /** No traffic for `staleMinutes` (or none at all in the period). */
  stale: boolean;
}

/** How long without observations before a launch is marked stale. */
export const STALE_MINUTES = 5;

/** Mismatched over compared responses in these steps; null when none was compared. */
export const divergenceOf = (points: ObservationSeries["series"]): number | null => {
  const total = points.reduce((n, p) => n + p.comparison.total, 0);
  return total === 0 ? null : points.reduce((n, p) => n + p.comparison.mismatched, 0) / total;
};

/**
 * Reads a series into the list's summary. The trend compares divergence in the newest third of the
 * steps with comparisons against the two thirds before it: a change of less than a fifth (relative)
 * is steady; fewer than two such steps give no trend.
 */
export function summarizeLaunch(series: ObservationSeries, now: number, staleMinutes = STALE_MINUTES): LaunchSummary {
  const { totals } = series;
  const both = totals.baseline.requests + totals.dark.requests;
  const withData = series.series.filter((p) => p.baseline.requests + p.dark.requests > 0);
  const last = withData.at(-1);
  const lastDataAt = last === undefined ? null : Date.parse(last.start);
  const stepMs = series.stepSeconds * 1000;
  const stale = lastDataAt === null || now - (lastDataAt + stepMs) >= staleMinutes * 60_000;
  // Over the steps that had comparisons, so quiet minutes at the start of the period do not hide a trend.
  const compared = series.series.filter((p) => p.comparison.total > 0);
  const cut = Math.ceil((compared.length * 2) / 3);
  const before = divergenceOf(compared.slice(0, cut));
  const recent = divergenceOf(compared.slice(cut));
  let trend: Trend | null = null;
  if (before !== null && recent !== null) {
    const change = before === 0 ? (recent === 0 ? 0 : 1) : (recent - before) / before;
    trend = change > 0.2 ? "rising" : change < -0.2 ? "falling" : "steady";
  }
  return {
    darkShare: both === 0 ? null : totals.dark.requests / both,
    mode: both === 0 ? null : totals.paired !== null && totals.paired.pairs > 0 ? "mirrored" : "served",
    divergence: totals.comparison.divergenceRate,
    trend,
    lastDataAt,
    stale,
  };
}

/** The period the list reads: the last 30 minutes up to the end of this minute, so a poll repeats its URL (and gets 304) within a minute. */
export function summaryPeriod(now: number): { since: string; until: string } {
  const until = Math.floor(now / 60_000) * 60_000 + 60_000;
  return { since: new Date(until - 30 * 60_000).toISOString(), until: new Date(until).toISOString() };
}

export interface LaunchFilter {
  state: LaunchState | "any";
  text: string;
}

/** Keeps the rows of a state whose key, description, owner or tag holds the text (any case). */
export function filterLaunches<R extends { state: LaunchState; flag: Pick<FlagRecord, "key" | "description" | "owner" | "tags"> }>(
  rows: readonly R[],
  filter: LaunchFilter,
): R[] {
  const needle = filter.text.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (filter.state === "any" || r.state === filter.state) &&
      (needle === "" || [r.flag.key, r.flag.description, r.flag.owner, ...r.flag.tags].some((s) => s.toLowerCase().includes(needle))),
  );
}
