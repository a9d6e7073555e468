import {
  analysisSeries,
  type BusinessMetricInput,
  type Flag,
  type JudgeSettings,
  type JudgeVerdict,
  judge,
  judgeMinutes,
  type ObservationWindow,
  parseJudgeSettings,
  type RampVerdictInput,
  rampTargetOf,
  type SeriesMinute,
} from "@darklaunch/core";
import { floorMinute, RampClock } from "./ramp-clock.js";
import { rampJudgeSettings } from "./ramp-judge-settings.js";
import type { StoredRamp } from "./ramp-store.js";

const MINUTE_MS = 60_000;
/**
 * Reporters flush a minute after it ends; the judge treats the last two minutes as still arriving,
 * so a reporter a little late is not a missing minute (coverage) nor a gap.
 */
const REPORT_GRACE_MINUTES = 2;

/** What the judge reads for one flag: the window period, the share per minute, the settings. */
export interface JudgePlan {
  /** First window minute (ISO). */
  from: string;
  /** End of the windows to read (ISO, exclusive). */
  until: string;
  /** The minute being judged, on the windows' timeline, unless a later one was reported. */
  nowMs: number;
  shareAt: (start: string) => number | undefined;
  settings: JudgeSettings;
}

/** The judge plan of a ramp at a real time: since the ramp's start, on its data clock, with its plan's step times. */
export function rampJudgePlan(ramp: StoredRamp, realNow: number, flagSettings: Record<string, unknown> = {}): JudgePlan {
  const clock = new RampClock(ramp);
  const dataNow = floorMinute(clock.dataTime(realNow));
  const { settings } = rampJudgeSettings(ramp, flagSettings);
  return {
    from: clock.firstMinute(),
    until: new Date(dataNow + MINUTE_MS).toISOString(),
    nowMs: dataNow - REPORT_GRACE_MINUTES * MINUTE_MS,
    shareAt: (start) => clock.shareAt(start),
    settings,
  };
}

/** The judge plan of a flag under no ramp: the period since `since`, at the flag's current split. */
export function periodJudgePlan(flag: Flag, since: string, realNow: number, flagSettings: Record<string, unknown> = {}): JudgePlan {
  const target = rampTargetOf(flag);
  const now = floorMinute(realNow);
  return {
    from: new Date(floorMinute(Date.parse(since))).toISOString(),
    until: new Date(now + MINUTE_MS).toISOString(),
    nowMs: now - REPORT_GRACE_MINUTES * MINUTE_MS,
    shareAt: () => (target === undefined ? undefined : target.percentage / 100),
    settings: parseJudgeSettings(flagSettings),
  };
}

/** What the judge reads of a flag: its observation windows, and its business metrics' minutes. */
export interface JudgeData {
  windows: readonly ObservationWindow[];
  business?: readonly BusinessMetricInput[] | undefined;
}

function judgeInput(plan: JudgePlan, { windows, business }: JudgeData) {
  const minutes = judgeMinutes(windows, plan.shareAt);
  const last = minutes[minutes.length - 1]?.start;
  const lastMs = last === undefined ? Number.NEGATIVE_INFINITY : Date.parse(last);
  const nowMs = Math.max(plan.nowMs, lastMs, Date.parse(plan.from));
  return { minutes, business, from: plan.from, now: new Date(nowMs).toISOString() };
}

/** The judge's verdict over the windows of a plan. */
export function judgeWindows(plan: JudgePlan, data: JudgeData): JudgeVerdict {
  return judge(judgeInput(plan, data), plan.settings);
}

/** The analysis series (estimates, bands, e-values per minute) over the windows of a plan. */
export function analyzeWindows(plan: JudgePlan, data: JudgeData): SeriesMinute[] {
  return analysisSeries(judgeInput(plan, data), plan.settings);
}

/** What a ramp reads of a verdict: its state, whether a critical metric crossed harm, what crossed. */
export function rampVerdictOf(verdict: JudgeVerdict): RampVerdictInput {
  const harmed = verdict.metrics.filter((m) => m.decision && m.harm.crossed);
  const crossed =
    verdict.state === "UNHEALTHY"
      ? [
          ...(verdict.health.srm?.crossed ? ["srm"] : []),
          ...(verdict.health.mirrorLoss?.exceeded ? ["mirrorLoss"] : []),
          ...(verdict.health.gap.exceeded ? ["gap"] : []),
        ]
      : harmed.map((m) => m.metric);
  return {
    state: verdict.state,
    criticalHarm: verdict.state === "REGRESSION" && harmed.some((m) => m.critical),
    why: verdict.why,
    crossed,
  };
}

/** Decision metrics whose harm e-value passed half its threshold without crossing it: worth a look. */
export function trendingMetrics(verdict: JudgeVerdict): JudgeVerdict["metrics"] {
  return verdict.metrics.filter((m) => m.decision && !m.harm.crossed && m.harm.e >= m.harm.threshold / 2);
}

/** A JSON-safe copy (an e-value past 1e308 is Infinity, which JSON writes as null). */
export function jsonSafe<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
