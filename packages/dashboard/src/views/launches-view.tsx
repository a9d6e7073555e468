import type {
  FlagJudgeSettingsResponse,
  FlagListResponse,
  FlagRecord,
  ObservationSeries,
  RampListResponse,
  RampRecord,
} from "@darklaunch/core";
import { useMemo, useState } from "react";
import { flagPath } from "../api.js";
import { formatPercentage, formatRate, formatRelative, isStale, matchesSearch } from "../format.js";
import {
  filterLaunches,
  isRampInProgress,
  isUnderLaunch,
  LAUNCH_STATE_LABELS,
  type LaunchState,
  launchState,
  nextGate,
  rampOf,
  STALE_MINUTES,
  stepText,
  summarizeLaunch,
  summaryPeriod,
  type Trend,
  worstMetric,
} from "../launch-summary.js";
import { Link } from "../link.js";
import { flagHref } from "../router.js";
import { useSession } from "../session-context.js";
import { Empty, ErrorNote, Loading } from "../status.js";
import { usePoll } from "../use-poll.js";
import { burnWords, errorBudgetBurn, errorRateObjective } from "./launch-model.js";

const STATE_FILTERS: (LaunchState | "any")[] = ["any", "ramping", "shadow", "paused", "rolling-out", "rolled-back"];

interface Row {
  flag: FlagRecord;
  ramp: RampRecord | undefined;
  state: LaunchState;
}

/** Home: every flag under a dark launch or ramp with how it is going, then the other flags. */
export function LaunchesView() {
  const { api } = useSession();
  const [stateFilter, setStateFilter] = useState<LaunchState | "any">("any");
  const [search, setSearch] = useState("");
  const flags = usePoll((tag) => api.request<FlagListResponse>("GET", "/api/v1/flags?state=active", undefined, tag), [api]);
  const ramps = usePoll((tag) => api.request<RampListResponse>("GET", "/api/v1/ramps", undefined, tag), [api]);
  const rows = useMemo<Row[]>(
    () =>
      (flags.data?.flags ?? [])
        .map((flag) => {
          const ramp = rampOf(flag.key, ramps.data?.ramps ?? []);
          return { flag, ramp, state: launchState(flag, ramp) };
        })
        .sort((a, b) => b.flag.updatedAt.localeCompare(a.flag.updatedAt)),
    [flags.data, ramps.data],
  );
  const launches = rows.filter((r) => isUnderLaunch(r.state));
  const shownLaunches = filterLaunches(launches, { state: stateFilter, text: search });
  const others = rows.filter((r) => !isUnderLaunch(r.state) && matchesSearch(r.flag, search)).map((r) => r.flag);

  return (
    <section>
      <h1>Launches</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter launches">
        <label>
          Search
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="key, tag, owner…" />
        </label>
        <label>
          Launch state
          <select value={stateFilter} onChange={(e) => setStateFilter(e.target.value as LaunchState | "any")}>
            {STATE_FILTERS.map((s) => (
              <option key={s} value={s}>
                {s === "any" ? "any" : LAUNCH_STATE_LABELS[s].label}
              </option>
            ))}
          </select>
        </label>
        {flags.data !== undefined && (
          <a className="jump" href="#other-flags">
            {others.length} other flag{others.length === 1 ? "" : "s"} ↓
          </a>
        )}
      </form>
      {flags.error !== undefined && <ErrorNote error={flags.error} what="the flags" />}
      {ramps.error !== undefined && <ErrorNote error={ramps.error} what="the ramps" />}
      {flags.loading && <Loading what="launches" />}
      {flags.data !== undefined && rows.length === 0 && (
        <Empty title="No flags yet">
          <p>Start a dark launch: create a release flag at a small percentage, then put the proxy in front of your service.</p>
          <pre>
            <code>
              {
                "darklaunch enable checkout-v2 --percentage 5\ndarklaunch proxy --flag checkout-v2 --stable http://127.0.0.1:3000 --dark http://127.0.0.1:3001"
              }
            </code>
          </pre>
        </Empty>
      )}
      {flags.data !== undefined && rows.length > 0 && launches.length === 0 && (
        <Empty title="No dark launch or ramp in progress">
          <p>Roll a flag out to a few percent, or let a ramp move it step by step while the judge watches dark against the baseline:</p>
          <pre>
            <code>{"darklaunch enable checkout-v2 --percentage 5\ndarklaunch ramp start checkout-v2"}</code>
          </pre>
        </Empty>
      )}
      {launches.length > 0 && shownLaunches.length === 0 && <p className="muted">No launch matches these filters.</p>}
      {shownLaunches.length > 0 && <LaunchTable rows={shownLaunches} />}
      <h2 id="other-flags" tabIndex={-1}>
        Other flags
      </h2>
      {flags.data !== undefined &&
        (others.length === 0 ? (
          <p className="muted">No other flag{search === "" ? "" : " matches the search"}.</p>
        ) : (
          <FlagTable flags={others} />
        ))}
    </section>
  );
}

function LaunchTable({ rows }: { rows: Row[] }) {
  return (
    <table className="flags launches">
      <caption className="sr-only">Flags under a dark launch or ramp</caption>
      <thead>
        <tr>
          <th scope="col">Launch</th>
          <th scope="col">State</th>
          <th scope="col">Rollout</th>
          <th scope="col">Worst metric</th>
          <th scope="col">Next gate</th>
          <th scope="col">Last 30 min</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <LaunchRow key={row.flag.key} row={row} />
        ))}
      </tbody>
    </table>
  );
}

const TREND: Record<Trend, { icon: string; words: string }> = {
  rising: { icon: "↗", words: "rising" },
  falling: { icon: "↘", words: "falling" },
  steady: { icon: "→", words: "steady" },
};

function LaunchRow({ row }: { row: Row }) {
  const { api } = useSession();
  const { flag, ramp, state } = row;
  const series = usePoll(
    (tag) => {
      // The period ends with this minute: within it the URL repeats and a poll answers 304; a new
      // minute is a new URL, whose answer differs from the tag sent, so it comes whole.
      const period = summaryPeriod(Date.now());
      return api.request<ObservationSeries>(
        "GET",
        flagPath(flag.key, `/observations?since=${encodeURIComponent(period.since)}&until=${encodeURIComponent(period.until)}&step=1m`),
        undefined,
        tag,
      );
    },
    [api, flag.key],
  );
  // A ramp in progress carries its effective settings; otherwise the flag's objective is read.
  const rampActive = isRampInProgress(ramp);
  const judge = usePoll(
    (tag) =>
      rampActive
        ? Promise.resolve(undefined)
        : api.request<FlagJudgeSettingsResponse>("GET", flagPath(flag.key, "/judge"), undefined, tag).then((r) => r.settings),
    [api, flag.key, rampActive],
  );
  const objective = errorRateObjective(ramp, judge.data);
  const burn = errorBudgetBurn(series.data?.totals.dark.errorRate, objective);
  const burnText = burn === undefined ? undefined : burnWords(burn);
  const now = Date.now();
  const summary = series.data === undefined ? undefined : summarizeLaunch(series.data, now);
  const gate = nextGate(ramp, now);
  const worst = worstMetric(ramp);
  const step = stepText(ramp);
  return (
    <tr data-flag={flag.key} data-state={state}>
      <FlagName flag={flag} />
      <td>
        <LaunchBadge state={state} />
        <ExpiredMark flag={flag} now={now} />
      </td>
      <td>
        <FlagRollout flag={flag} />
        {step !== null && <div className="muted small">{step}</div>}
      </td>
      <td>
        {worst === null ? (
          <span className="muted">—</span>
        ) : (
          <>
            <VerdictBadge state={worst.state} /> <span className="small">{worst.text}</span>
          </>
        )}
      </td>
      <td>
        {gate === null ? (
          <span className="muted">{ramp?.status === "paused" ? "paused" : "—"}</span>
        ) : gate.due ? (
          "judging now"
        ) : (
          <time dateTime={new Date(gate.at).toISOString()}>{formatRelative(new Date(gate.at).toISOString(), now)}</time>
        )}
      </td>
      <td className="summary" data-testid="summary">
        {series.error !== undefined && <span className="small">could not read observations</span>}
        {series.data === undefined && series.error === undefined && <span className="muted small">loading…</span>}
        {summary !== undefined && (
          <>
            {summary.darkShare === null ? (
              <div className="muted small">no traffic</div>
            ) : (
              <div className="small">
                {formatRate(summary.darkShare)} {summary.mode === "mirrored" ? "mirrored to dark" : "served dark"}
              </div>
            )}
            {summary.divergence !== null && (
              <div className="small">
                divergence {formatRate(summary.divergence)}{" "}
                {summary.trend !== null && (
                  <span className={`trend trend-${summary.trend}`} title={`divergence ${TREND[summary.trend].words}`}>
                    {TREND[summary.trend].icon} <span className="sr-only">{TREND[summary.trend].words}</span>
                  </span>
                )}
              </div>
            )}
            {burn !== undefined && burnText !== undefined && (
              <div className={`small ${burnText.over ? "bad-text" : ""}`} data-testid="summary-burn">
                <span aria-hidden="true">{burnText.mark} </span>
                error budget burn {burn.toFixed(2)}× ({burnText.level})
              </div>
            )}
            {summary.stale && (
              <span className="badge nodata block" title={`no observations for ${STALE_MINUTES} minutes or more`}>
                ◌ stale:{" "}
                {summary.lastDataAt === null
                  ? "no data in 30 min"
                  : `no data since ${formatRelative(new Date(summary.lastDataAt + 60_000).toISOString(), now)}`}
              </span>
            )}
          </>
        )}
      </td>
    </tr>
  );
}

/** A launch's state in words and a shape; colour only repeats them. */
export function LaunchBadge({ state }: { state: LaunchState }) {
  const { icon, label } = LAUNCH_STATE_LABELS[state];
  return (
    <span className={`badge launch-${state}`} data-testid="launch-state">
      <span aria-hidden="true">{icon}</span> {label}
    </span>
  );
}

const VERDICT_ICONS: Record<string, string> = {
  SAFE: "✓",
  REGRESSION: "✗",
  UNHEALTHY: "⚠",
  INSUFFICIENT: "…",
  RUNNING: "⟳",
  INCONCLUSIVE: "?",
};

function VerdictBadge({ state }: { state: string }) {
  const bad = state === "REGRESSION" || state === "UNHEALTHY";
  return (
    <span className={`badge ${bad ? "bad" : state === "SAFE" ? "on" : "muted"}`}>
      <span aria-hidden="true">{VERDICT_ICONS[state] ?? "·"}</span> {state.toLowerCase()}
    </span>
  );
}

function FlagTable({ flags }: { flags: FlagRecord[] }) {
  const now = Date.now();
  return (
    <table className="flags">
      <caption className="sr-only">Other flags</caption>
      <thead>
        <tr>
          <th scope="col">Flag</th>
          <th scope="col">State</th>
          <th scope="col">Rollout</th>
          <th scope="col">Kind</th>
          <th scope="col">Changed</th>
        </tr>
      </thead>
      <tbody>
        {flags.map((flag) => (
          <tr key={flag.key} data-flag={flag.key}>
            <FlagName flag={flag} />
            <td>
              <StateBadge flag={flag} />
              <ExpiredMark flag={flag} now={now} />
            </td>
            <td>
              <FlagRollout flag={flag} />
            </td>
            <td>{flag.kind}</td>
            <td>
              <time dateTime={flag.updatedAt} title={flag.updatedAt}>
                {formatRelative(flag.updatedAt, now)}
              </time>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The row header: the flag's key as a link to its page, and its description. */
function FlagName({ flag }: { flag: FlagRecord }) {
  return (
    <th scope="row">
      <Link href={flagHref(flag.key)}>{flag.key}</Link>
      {flag.description !== "" && <div className="muted small">{flag.description}</div>}
    </th>
  );
}

/** Past its `expiresAt`: the flag should be removed from the code. */
function ExpiredMark({ flag, now }: { flag: FlagRecord; now: number }) {
  if (!isStale(flag, now)) return null;
  return (
    <span className="badge stale" title={`expired ${flag.expiresAt}`}>
      ⚠ stale
    </span>
  );
}

function FlagRollout({ flag }: { flag: FlagRecord }) {
  return <Rollout percentage={flag.enabled ? flag.percentage : 0} label={flag.enabled ? formatPercentage(flag.percentage) : "off"} />;
}

/** On / off / archived in words and a shape, never colour alone. */
export function StateBadge({ flag }: { flag: Pick<FlagRecord, "enabled" | "archived"> }) {
  if (flag.archived) return <span className="badge archived">▪ archived</span>;
  return flag.enabled ? <span className="badge on">● on</span> : <span className="badge off">○ off</span>;
}

export function Rollout({ percentage, label }: { percentage: number | null; label: string }) {
  return (
    <span className="rollout">
      {percentage !== null && (
        <span className="bar" aria-hidden="true">
          <span className="fill" style={{ width: `${Math.min(100, Math.max(0, percentage))}%` }} />
        </span>
      )}
      <span className="pct" data-testid="rollout">
        {label}
      </span>
    </span>
  );
}
