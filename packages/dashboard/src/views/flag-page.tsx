import type { FlagRecord, RampRecord } from "@darklaunch/core";
import { flagPath } from "../api.js";
import { formatPercentage, formatRelative, isStale } from "../format.js";
import { Link } from "../link.js";
import { flagHref } from "../router.js";
import { useSession } from "../session-context.js";
import { ErrorNote, Loading } from "../status.js";
import { usePoll } from "../use-poll.js";
import { AuditView } from "./audit-view.js";
import { CheckView } from "./check-view.js";
import { DiffsView } from "./diffs-view.js";
import { JudgeSettingsPanel } from "./judge-settings-panel.js";
import { type LaunchData, SUMMARY_SINCE, useLaunchData } from "./launch-data.js";
import { LaunchSummary } from "./launch-summary.js";
import { StateBadge } from "./launches-view.js";
import { MetricTiles } from "./metric-tiles.js";
import { RampActions } from "./ramp-actions.js";
import { RampTimeline } from "./ramp-timeline.js";
import { RouteBreakdownPanel } from "./route-breakdown.js";
import { SignalsView } from "./signals-view.js";
import { StatusActions } from "./status-actions.js";
import { VerdictChecklist } from "./verdict-checklist.js";

type Tab = "signals" | "diffs" | "check" | "audit";
const TABS: { tab: Tab; label: string }[] = [
  { tab: "signals", label: "Golden signals" },
  { tab: "diffs", label: "Diffs" },
  { tab: "check", label: "Who is in" },
  { tab: "audit", label: "Audit" },
];

/**
 * A launch: its executive summary, the status strip with the actions, the ramp's timeline, the
 * why-sentence with the criteria to advance, one tile per decision metric, the route × source
 * breakdown; then one of its views.
 */
export function FlagPage({ flagKey, tab }: { flagKey: string; tab: Tab }) {
  const { api } = useSession();
  const flag = usePoll(() => api.request<FlagRecord>("GET", flagPath(flagKey)), [api, flagKey]);
  const launch = useLaunchData({ key: flagKey });
  const changed = () => {
    flag.reload();
    launch.reload();
  };

  return (
    <section>
      <p className="crumbs">
        <Link href="/">Launches</Link> / <span>{flagKey}</span>
      </p>
      <h1>{flagKey}</h1>
      {flag.error !== undefined && <ErrorNote error={flag.error} what={`flag ${flagKey}`} />}
      {flag.loading && <Loading what="the flag" />}
      {flag.data !== undefined && (
        <LaunchSummary
          flag={flag.data}
          verdict={launch.verdict.data}
          ramp={launch.ramp.data}
          observations={launch.observations.data}
          judge={launch.judge.data}
        />
      )}
      {flag.data !== undefined && <StatusStrip flag={flag.data} ramp={launch.ramp.data} onChanged={changed} />}
      <LaunchDetails flagKey={flagKey} launch={launch} routes={tab !== "diffs"} />
      <JudgeSettingsPanel flagKey={flagKey} judge={launch.judge} ramp={launch.ramp.data} onChanged={changed} />
      <nav className="tabs" aria-label="Views of this launch">
        {TABS.map((t) => (
          <Link key={t.tab} href={flagHref(flagKey, t.tab)} current={t.tab === tab}>
            {t.label}
          </Link>
        ))}
      </nav>
      {tab === "signals" && <SignalsView flagKey={flagKey} />}
      {tab === "diffs" && <DiffsView flagKey={flagKey} />}
      {tab === "check" && <CheckView flagKey={flagKey} percentage={flag.data?.percentage ?? null} />}
      {tab === "audit" && <AuditView flagKey={flagKey} />}
    </section>
  );
}

/**
 * The ramp's timeline, the why and the checklist, the metric tiles and the route breakdown (left out
 * under the Diffs tab, which shows the same table with its route filter).
 */
function LaunchDetails({ flagKey, launch, routes }: { flagKey: string; launch: LaunchData; routes: boolean }) {
  const verdict = launch.verdict.data;
  const ramp = launch.ramp.data;
  return (
    <>
      {ramp != null && <RampTimeline ramp={ramp} verdicts={launch.verdicts.data} />}
      {launch.verdict.error !== undefined && <ErrorNote error={launch.verdict.error} what="the verdict" />}
      {launch.verdict.loading && <Loading what="the verdict" />}
      {verdict !== undefined && (
        <div className="launch-grid">
          <VerdictChecklist verdict={verdict} />
          <MetricTiles verdict={verdict} analysis={launch.analysis.data} />
        </div>
      )}
      {routes && (
        <div data-testid="route-breakdown">
          <RouteBreakdownPanel flagKey={flagKey} since={SUMMARY_SINCE} />
        </div>
      )}
    </>
  );
}

function StatusStrip({ flag, ramp, onChanged }: { flag: FlagRecord; ramp: RampRecord | null | undefined; onChanged: () => void }) {
  return (
    <section className="strip" aria-label="Status">
      <dl>
        <div>
          <dt>State</dt>
          <dd data-testid="flag-state">
            <StateBadge flag={flag} />
            {isStale(flag) && <span className="badge stale">⚠ stale since {flag.expiresAt}</span>}
          </dd>
        </div>
        <div>
          <dt>Rollout</dt>
          <dd data-testid="flag-percentage">
            {flag.enabled ? formatPercentage(flag.percentage) : `off (${formatPercentage(flag.percentage)} when on)`}
          </dd>
        </div>
        <div>
          <dt>Ramp</dt>
          <dd data-testid="ramp-status">{ramp == null ? "none" : rampSummary(ramp)}</dd>
        </div>
        <div>
          <dt>Kind</dt>
          <dd>{flag.kind}</dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd>{flag.version}</dd>
        </div>
        <div>
          <dt>Changed</dt>
          <dd>
            <time dateTime={flag.updatedAt} title={flag.updatedAt}>
              {formatRelative(flag.updatedAt)}
            </time>
          </dd>
        </div>
      </dl>
      <div className="strip-actions">
        <StatusActions flag={flag} onChanged={onChanged} />
        <RampActions flag={flag} ramp={ramp} onChanged={onChanged} />
      </div>
    </section>
  );
}

/** "running · serve step 2 of 5 (5 %)" */
function rampSummary(ramp: RampRecord): string {
  const steps = ramp.state.phase === "shadow" ? ramp.plan.shadowSteps : ramp.plan.steps;
  const where = `${ramp.state.phase} step ${ramp.state.step + 1} of ${steps.length} (${steps[ramp.state.step] ?? 0} %)`;
  return `${ramp.status.replace("_", " ")} · ${where}`;
}
