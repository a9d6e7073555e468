import type { FlagRecord } from "@darklaunch/core";
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
import { StateBadge } from "./launches-view.js";
import { SignalsView } from "./signals-view.js";
import { StatusActions } from "./status-actions.js";

type Tab = "signals" | "diffs" | "check" | "audit";
const TABS: { tab: Tab; label: string }[] = [
  { tab: "signals", label: "Golden signals" },
  { tab: "diffs", label: "Diffs" },
  { tab: "check", label: "Who is in" },
  { tab: "audit", label: "Audit" },
];

/** A launch: its status strip with the actions, then one of its views. */
export function FlagPage({ flagKey, tab }: { flagKey: string; tab: Tab }) {
  const { api } = useSession();
  const flag = usePoll(() => api.request<FlagRecord>("GET", flagPath(flagKey)), [api, flagKey]);

  return (
    <section>
      <p className="crumbs">
        <Link href="/">Launches</Link> / <span>{flagKey}</span>
      </p>
      <h1>{flagKey}</h1>
      {flag.error !== undefined && <ErrorNote error={flag.error} what={`flag ${flagKey}`} />}
      {flag.loading && <Loading what="the flag" />}
      {flag.data !== undefined && <StatusStrip flag={flag.data} onChanged={flag.reload} />}
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

function StatusStrip({ flag, onChanged }: { flag: FlagRecord; onChanged: () => void }) {
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
      <StatusActions flag={flag} onChanged={onChanged} />
    </section>
  );
}
