import { randomBytes } from "node:crypto";
import {
  type AnalysisResponse,
  abortRamp,
  dismissVerdict,
  type Flag,
  isRecord,
  type JudgeVerdict,
  nextRampAction,
  noteManualChange,
  pauseRamp,
  promoteRamp,
  RampConflictError,
  type RampControlName,
  RampControlRequestSchema,
  type RampDecision,
  type RampRecord,
  RampStartRequestSchema,
  type RampState,
  type RampStatus,
  rampFlag,
  rampFlagProblems,
  rampServeVariant,
  rampTargetOf,
  resumeRamp,
  sameRampTarget,
  startRamp,
  ValidationError,
  type VerdictResponse,
} from "@darklaunch/core";
import type { AlertService } from "../alerts/alert-service.js";
import type { AuditService } from "../audit/audit-service.js";
import { badField, badFields, ConflictError, DarkLaunchError, NotFoundError } from "../errors.js";
import type { FlagService } from "../flags/flag-service.js";
import { flagOf } from "../flags/flag-store.js";
import { parse } from "../http.js";
import type { JudgeSettingsService } from "../judge-settings/judge-settings-service.js";
import { layerJudgeSettings } from "../judge-settings/layered-settings.js";
import type { MetricService } from "../metrics/metric-service.js";
import type { ObservationService } from "../observations/observation-service.js";
import {
  analyzeWindows,
  type JudgeData,
  type JudgePlan,
  jsonSafe,
  judgeWindows,
  periodJudgePlan,
  rampJudgePlan,
  rampVerdictOf,
  trendingMetrics,
} from "./flag-judge.js";
import type { FlagMetrics } from "./prometheus.js";
import { rampJudgeSettings } from "./ramp-judge-settings.js";
import type { RampStore, StoredRamp } from "./ramp-store.js";

export interface RampServiceOptions {
  /** The length of a ramp minute in ms for ramps started from now on (default 60 000). */
  minuteMs?: number | undefined;
  now?: (() => number) | undefined;
}

/** What one minute of a ramp did (the runner logs it; tests read it). */
export interface RampTick {
  rampId: string;
  action: string;
  why: string;
}

const ACTIVE: readonly RampStatus[] = ["running", "paused"];

function newRampId(): string {
  return `rmp_${randomBytes(6).toString("hex")}`;
}

/**
 * Ramps: a plan run step by step on a flag, judged every minute. Starts, manual controls
 * and the minute's step (`tick`, called by the runner of the replica holding the ramp's lease) all
 * write the ramp by compare-and-set on its version, so two writers never both apply one transition.
 * Flag changes go through the FlagService (audited `ramp:<id>` with the why), alerts through the
 * AlertService, observations are read through the ObservationService.
 */
export class RampService {
  readonly minuteMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: RampStore,
    private readonly services: {
      flags: FlagService;
      observations: ObservationService;
      alerts: AlertService;
      audit: AuditService;
      /** Business metrics the judge watches beside the observations (none without it). */
      metrics?: MetricService | undefined;
      judgeSettings: JudgeSettingsService;
    },
    options: RampServiceOptions = {},
  ) {
    this.minuteMs = options.minuteMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Starts a ramp on a flag at its first step; 409 when the flag has a running or paused one. */
  async start(key: string, input: unknown, actor: string): Promise<RampRecord> {
    const body = parse(RampStartRequestSchema, input ?? {}, "ramp");
    const flag = flagOf(await this.services.flags.get(key));
    assertEnabled(flag, "start a ramp on it");
    const plan = body.plan ?? RampStartRequestSchema.shape.plan.unwrap().parse({});
    const problems = rampFlagProblems(flag, plan);
    if (problems.length > 0) throw badFields(problems, "ramp");
    // Only the fields given: the rest come from the flag's settings while the ramp runs.
    const judge = isRecord(input) && isRecord(input.judge) ? input.judge : {};
    try {
      layerJudgeSettings([
        { source: "flag", settings: await this.services.judgeSettings.stored(key) },
        { source: "ramp", settings: judge },
      ]);
    } catch (error) {
      if (error instanceof ValidationError)
        throw badFields(
          error.problems.map((p) => ({ ...p, path: `judge.${p.path}` })),
          "ramp (its judge settings over the flag's)",
        );
      throw error;
    }
    const now = this.now();
    const decision = startRamp(plan, { now, by: actor });
    const at = new Date(now).toISOString();
    const ramp: StoredRamp = {
      id: newRampId(),
      flag: key,
      plan,
      state: decision.newState,
      darkBuild: body.darkBuild ?? null,
      judge,
      minuteMs: this.minuteMs,
      version: 1,
      createdBy: actor,
      startedAt: at,
      updatedAt: at,
    };
    if (!(await this.store.create(ramp))) {
      throw new ConflictError("ALREADY_EXISTS", `flag "${key}" has a ramp running or paused already; abort it before starting another`);
    }
    try {
      await this.apply(ramp, decision, actor, "ramp.start");
    } catch (error) {
      // The flag refused its first step: no ramp was started.
      await this.store.remove(ramp.id);
      throw error;
    }
    return this.record(ramp);
  }

  /** The flag's active ramp, else its latest; 404 when it never had one. */
  async get(key: string): Promise<RampRecord> {
    return this.record(await this.rampOf(key));
  }

  async list(): Promise<RampRecord[]> {
    return Promise.all((await this.store.list()).map((ramp) => this.record(ramp)));
  }

  /** Running ramps: what the runner steps every minute. */
  running(): Promise<StoredRamp[]> {
    return this.store.list(["running"]);
  }

  /** Pause, resume, abort, promote or dismiss (with a reason) the flag's active ramp. */
  async control(key: string, action: RampControlName, input: unknown, actor: string): Promise<RampRecord> {
    const body = parse(RampControlRequestSchema, input ?? {}, "ramp control");
    const ramp = await this.rampOf(key);
    const control = { now: this.now(), by: actor, ...(body.reason === undefined ? {} : { reason: body.reason }) };
    let decision: RampDecision;
    switch (action) {
      case "pause":
        decision = pauseRamp(ramp.state, control);
        break;
      case "resume":
        assertEnabled(flagOf(await this.services.flags.get(key)), "resume its ramp");
        decision = resumeRamp(ramp.plan, ramp.state, control);
        break;
      case "abort":
        decision = abortRamp(ramp.state, { ...control, keepFlag: body.keepFlag ?? false });
        break;
      case "promote":
        decision = promoteRamp(ramp.plan, ramp.state, control);
        break;
      case "dismiss":
        if (body.reason === undefined) throw badField("reason", "is required to dismiss a verdict", "ramp control");
        decision = dismissVerdict(ramp.state, { ...control, reason: body.reason });
        break;
    }
    if (decision.action !== "none") {
      const written = await this.write(ramp, decision.newState);
      if (written === undefined) throw new RampConflictError("the ramp changed while this action was applied; read it again and retry");
      await this.apply(written, decision, actor, `ramp.${action}`);
      return this.record(written);
    }
    return this.record(ramp);
  }

  /** The current verdict: over the ramp's steps for a flag under an active ramp, else over the period since `since`. */
  async verdict(key: string, since: string | undefined): Promise<VerdictResponse> {
    const { plan, ramp, flag } = await this.judgePlan(key, since);
    const verdict = jsonSafe(judgeWindows(plan, await this.windows(flag, plan)));
    return {
      ...verdict,
      health: { ...verdict.health },
      step: { ...verdict.step },
      diagnostics: { ...verdict.diagnostics },
      flag: key,
      ok: verdict.state !== "REGRESSION" && verdict.state !== "UNHEALTHY",
      from: plan.from,
      ramp:
        ramp === undefined
          ? null
          : {
              id: ramp.id,
              status: ramp.state.status,
              phase: ramp.state.phase,
              step: ramp.state.step,
              percentage: ramp.state.target.percentage,
            },
    };
  }

  /** Per minute, each metric's estimate, band and e-values, for charts. */
  async analysis(key: string, since: string | undefined): Promise<AnalysisResponse> {
    const { plan, flag } = await this.judgePlan(key, since);
    return jsonSafe({ flag: key, from: plan.from, series: analyzeWindows(plan, await this.windows(flag, plan)) });
  }

  /** For `/metrics`: each flag under an active ramp with its last stored verdict's numbers. */
  async metrics(): Promise<FlagMetrics[]> {
    const out: FlagMetrics[] = [];
    for (const ramp of await this.store.list(ACTIVE)) {
      const [last] = await this.store.verdicts(ramp.id, 1);
      const verdict = last?.verdict as Partial<JudgeVerdict> | undefined;
      out.push({
        flag: ramp.flag,
        ramp: ramp.id,
        status: ramp.state.status,
        percentage: ramp.state.target.percentage,
        state: last?.state ?? null,
        metrics: (verdict?.metrics ?? [])
          .filter((m) => m.decision)
          .map((m) => ({
            metric: m.metric,
            estimate: m.estimate,
            harmE: m.harm.e,
            harmThreshold: m.harm.threshold,
            safeE: m.safe?.e ?? null,
            safeThreshold: m.safe?.threshold ?? null,
          })),
      });
    }
    return out;
  }

  /** The ramp's stored verdicts, newest first. */
  async verdicts(key: string, limit: number) {
    const ramp = await this.rampOf(key);
    return (await this.store.verdicts(ramp.id, limit)).map(({ at, state, action, replica, why, verdict }) => ({
      at,
      state,
      action,
      replica,
      why,
      verdict,
    }));
  }

  /**
   * One minute of a running ramp, by the replica holding its lease: a manual change of the flag
   * pauses it; otherwise the judge's verdict over the ramp's windows goes through core's
   * `nextRampAction`, and the decision is stored (compare-and-set), applied to the flag, alerted
   * and recorded with its verdict.
   */
  async tick(ramp: StoredRamp, replica: string): Promise<RampTick> {
    const now = this.now();
    const record = await this.services.flags.get(ramp.flag);
    const flag = flagOf(record);
    const current = rampTargetOf(flag);
    if (current === undefined || !sameRampTarget(current, ramp.state.target)) {
      // A control (resume, promote …) writes the ramp, then the flag: while the flag's last change
      // is older than the ramp's last event, and that event is recent, the flag is catching up.
      const lastEvent = ramp.state.history[ramp.state.history.length - 1]?.at ?? 0;
      if (Date.parse(record.updatedAt) < lastEvent) {
        if (now - lastEvent < Math.max(2 * ramp.minuteMs, 10_000)) {
          return { rampId: ramp.id, action: "none", why: "the ramp's own change of the flag is being applied" };
        }
        // Nobody changed the flag since the ramp's last event, yet it is not at the ramp's target: the
        // process that wrote the ramp died before it changed the flag. The ramp is right; apply it again.
        const why = `the ramp's change of the flag to ${ramp.state.target.percentage} % was interrupted (the server stopped between the two writes); applied again`;
        await this.services.flags.rampTo(ramp.flag, (flag: Flag) => rampFlag(flag, ramp.state.target), `ramp:${ramp.id}`, {
          action: "ramp.reapply",
          after: {
            ramp: ramp.id,
            why,
            status: ramp.state.status,
            phase: ramp.state.phase,
            step: ramp.state.step,
            target: ramp.state.target,
          },
        });
        return { rampId: ramp.id, action: "none", why };
      }
      const last = await this.lastFlagChange(ramp.flag);
      const manual = noteManualChange(ramp.state, { now, by: last?.actor ?? "someone", target: current });
      if (manual.action === "none") return { rampId: ramp.id, action: "none", why: manual.why };
      const written = await this.write(ramp, manual.newState);
      if (written !== undefined)
        await this.services.flags.noteRamp(ramp.flag, `ramp:${ramp.id}`, { action: "ramp.pause", after: this.note(written, manual) });
      return { rampId: ramp.id, action: manual.action, why: manual.why };
    }
    const plan = rampJudgePlan(ramp, now, await this.services.judgeSettings.stored(ramp.flag));
    const verdict = judgeWindows(plan, await this.windows(flag, plan));
    const decision = nextRampAction(ramp.plan, ramp.state, rampVerdictOf(verdict), now, { minuteMs: ramp.minuteMs });
    const written = await this.write(ramp, decision.newState);
    if (written === undefined) return { rampId: ramp.id, action: "none", why: "another writer changed the ramp this minute" };
    await this.store.recordVerdict({
      rampId: ramp.id,
      flag: ramp.flag,
      at: new Date(now).toISOString(),
      state: verdict.state,
      action: decision.action,
      replica,
      why: decision.why,
      verdict: jsonSafe(verdict) as unknown as Record<string, unknown>,
    });
    await this.apply(written, decision, `ramp:${ramp.id}`, `ramp.${decision.action}`, verdict);
    await this.trending(ramp, verdict);
    return { rampId: ramp.id, action: decision.action, why: decision.why };
  }

  /** Takes or renews the lease of a ramp for `owner`. */
  claim(rampId: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    return this.store.claimLease(rampId, owner, new Date(now).toISOString(), new Date(now + ttlMs).toISOString());
  }

  release(owner: string): Promise<void> {
    return this.store.releaseLeases(owner);
  }

  private async rampOf(key: string): Promise<StoredRamp> {
    const ramp = await this.store.forFlag(key);
    if (ramp === undefined) {
      await this.services.flags.get(key);
      throw new NotFoundError("ramp of flag", key);
    }
    return ramp;
  }

  /** The plan the judge reads `key` with, and the flag as read (its windows are read for it next). */
  private async judgePlan(key: string, since: string | undefined): Promise<{ plan: JudgePlan; ramp?: StoredRamp; flag: Flag }> {
    const flag = flagOf(await this.services.flags.get(key));
    const ramp = await this.store.forFlag(key);
    const settings = await this.services.judgeSettings.stored(key);
    if (ramp !== undefined && ACTIVE.includes(ramp.state.status) && since === undefined) {
      return { plan: rampJudgePlan(ramp, this.now(), settings), ramp, flag };
    }
    return { plan: periodJudgePlan(flag, since ?? new Date(this.now() - 3_600_000).toISOString(), this.now(), settings), flag };
  }

  /**
   * The flag's observation windows over the plan's period and its business metrics' minutes, the
   * dark arm being the variant its ramp serves (core `rampServeVariant`; none without such a
   * variant). Takes the flag its caller read: one flag read per judge pass.
   */
  private async windows(flag: Flag, plan: JudgePlan): Promise<JudgeData> {
    const windows = await this.services.observations.windows(flag.key, plan.from, plan.until);
    const metrics = this.services.metrics;
    if (metrics === undefined) return { windows, business: undefined };
    const dark = rampServeVariant(flag);
    return { windows, business: dark === undefined ? [] : await metrics.business(flag.key, dark, plan.from, plan.until) };
  }

  /** Stores a new state if nobody wrote the ramp since it was read; the ramp as written, or undefined. */
  private async write(ramp: StoredRamp, state: RampState): Promise<StoredRamp | undefined> {
    const at = new Date(this.now()).toISOString();
    if (!(await this.store.update(ramp.id, ramp.version, state, at))) return undefined;
    return { ...ramp, state, version: ramp.version + 1, updatedAt: at };
  }

  /** Applies a decision's flag change (audited with its why and verdict) and its alert. */
  private async apply(ramp: StoredRamp, decision: RampDecision, actor: string, action: string, verdict?: JudgeVerdict): Promise<void> {
    const note = { action, after: this.note(ramp, decision, verdict) };
    if (decision.target !== undefined) {
      const target = decision.target;
      await this.services.flags.rampTo(ramp.flag, (flag: Flag) => rampFlag(flag, target), actor, note);
    } else if (decision.action !== "none" && decision.action !== "hold") {
      await this.services.flags.noteRamp(ramp.flag, actor, note);
    }
    if (decision.alert !== undefined) {
      await this.services.alerts.notify({
        kind: "verdict",
        flag: ramp.flag,
        severity: decision.alert.severity,
        state: decision.verdict?.state ?? decision.alert.kind.toUpperCase(),
        why: decision.why.slice(0, 2000),
        numbers: verdict === undefined ? {} : alertNumbers(verdict),
        evidence: {
          ramp: ramp.id,
          phase: ramp.state.phase,
          step: ramp.state.step,
          verdict: verdict === undefined ? null : jsonSafe(verdict),
        },
        dedupKey: `ramp:${ramp.id}:${ramp.state.phase}:${ramp.state.step}:${decision.alert.kind}`,
      });
    }
  }

  /** A "trending" ticket when a harm e-value passed half its threshold (once per ramp step and metric, by de-duplication). */
  private async trending(ramp: StoredRamp, verdict: JudgeVerdict): Promise<void> {
    if (verdict.state === "REGRESSION") return;
    for (const metric of trendingMetrics(verdict)) {
      await this.services.alerts.notify({
        kind: "trending",
        flag: ramp.flag,
        severity: "ticket",
        state: verdict.state,
        why: `${metric.metric}: harm evidence ${metric.harm.e.toPrecision(3)} passed half its threshold ${metric.harm.threshold} (estimate ${metric.estimate?.toFixed(2) ?? "n/a"}); ${verdict.why}`.slice(
          0,
          2000,
        ),
        numbers: alertNumbers(verdict),
        dedupKey: `ramp:${ramp.id}:${ramp.state.phase}:${ramp.state.step}:trending:${metric.metric}`,
      });
    }
  }

  private note(ramp: StoredRamp, decision: RampDecision, verdict?: JudgeVerdict) {
    return {
      ramp: ramp.id,
      why: decision.why,
      status: ramp.state.status,
      phase: ramp.state.phase,
      step: ramp.state.step,
      target: decision.target ?? ramp.state.target,
      verdict:
        verdict === undefined ? (decision.verdict ?? null) : { state: verdict.state, why: verdict.why, metrics: jsonSafe(verdict.metrics) },
    };
  }

  /** The latest change of the flag itself in the audit log (not a ramp note): who made it and how. */
  private async lastFlagChange(key: string): Promise<{ actor: string; action: string } | undefined> {
    const page = await this.services.audit.ofFlag(key, { limit: 20 });
    return page.entries.find((e) => e.action.startsWith("flag."));
  }

  private async record(ramp: StoredRamp): Promise<RampRecord> {
    const lease = await this.store.lease(ramp.id);
    return {
      id: ramp.id,
      flag: ramp.flag,
      status: ramp.state.status,
      plan: ramp.plan,
      state: ramp.state,
      darkBuild: ramp.darkBuild,
      judge: ramp.judge,
      judgeEffective: rampJudgeSettings(ramp, await this.services.judgeSettings.stored(ramp.flag)),
      minuteMs: ramp.minuteMs,
      createdBy: ramp.createdBy,
      startedAt: ramp.startedAt,
      updatedAt: ramp.updatedAt,
      lease: lease === undefined ? null : { owner: lease.owner, expiresAt: lease.expiresAt },
    };
  }
}

/**
 * A ramp moves a flag's fallthrough, never its on/off switch: a disabled flag serves nobody, so
 * its ramp would read as changed by hand at its first minute and pause. Turning the flag on for
 * the user would also start serving its rules and overrides and undo whoever switched it off (a
 * kill switch), so the ramp is refused instead (409 `FLAG_DISABLED`), as a guarded rollout
 * elsewhere expects the flag on before it starts. The message says how to go on.
 */
function assertEnabled(flag: Flag, purpose: string): void {
  if (flag.enabled) return;
  throw new DarkLaunchError(
    "FLAG_DISABLED",
    409,
    `flag "${flag.key}" is off: turn it on first (PATCH /api/v1/flags/${flag.key} {"enabled": true}; with its fallthrough at 0 % dark it still serves nobody dark), then ${purpose}`,
  );
}

/** The figures an alert names: per decision metric its estimate, harm e-value and threshold. */
function alertNumbers(verdict: JudgeVerdict): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of verdict.metrics) {
    if (!m.decision) continue;
    if (m.estimate !== null && Number.isFinite(m.estimate)) out[`${m.metric}.estimate`] = m.estimate;
    if (Number.isFinite(m.harm.e)) out[`${m.metric}.harmE`] = m.harm.e;
    out[`${m.metric}.threshold`] = m.harm.threshold;
  }
  return out;
}
