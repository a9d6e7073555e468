import type { FlagListResponse, FlagRecord } from "@darklaunch/core";
import { useMemo, useState } from "react";
import { formatPercentage, formatRelative, isStale, matchesSearch } from "../format.js";
import { Link } from "../link.js";
import { flagHref } from "../router.js";
import { useSession } from "../session-context.js";
import { Empty, ErrorNote, Loading } from "../status.js";
import { usePoll } from "../use-poll.js";

const STATES = ["active", "enabled", "disabled", "archived", "all"] as const;
const KINDS = ["", "release", "ops", "experiment", "permission"] as const;

/** Home: every flag with its rollout, newest change first; search and filters. */
export function LaunchesView() {
  const { api } = useSession();
  const [state, setState] = useState<(typeof STATES)[number]>("active");
  const [kind, setKind] = useState<(typeof KINDS)[number]>("");
  const [staleOnly, setStaleOnly] = useState(false);
  const [search, setSearch] = useState("");
  const query = new URLSearchParams({ state, ...(kind === "" ? {} : { kind }), ...(staleOnly ? { stale: "true" } : {}) }).toString();
  const flags = usePoll(() => api.request<FlagListResponse>("GET", `/api/v1/flags?${query}`), [api, query]);
  const shown = useMemo(
    () => (flags.data?.flags ?? []).filter((f) => matchesSearch(f, search)).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)),
    [flags.data, search],
  );

  return (
    <section>
      <h1>Launches</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter flags">
        <label>
          Search
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="key, tag, owner…" />
        </label>
        <label>
          State
          <select value={state} onChange={(e) => setState(e.target.value as (typeof STATES)[number])}>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(e.target.value as (typeof KINDS)[number])}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k === "" ? "any" : k}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={staleOnly} onChange={(e) => setStaleOnly(e.target.checked)} />
          Stale only
        </label>
      </form>
      {flags.error !== undefined && <ErrorNote error={flags.error} what="the flags" />}
      {flags.loading && <Loading what="flags" />}
      {flags.data !== undefined && flags.data.flags.length === 0 && state === "active" && kind === "" && !staleOnly ? (
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
      ) : flags.data !== undefined && shown.length === 0 ? (
        <p className="muted">No flag matches these filters.</p>
      ) : (
        flags.data !== undefined && <FlagTable flags={shown} />
      )}
    </section>
  );
}

function FlagTable({ flags }: { flags: FlagRecord[] }) {
  const now = Date.now();
  return (
    <table className="flags">
      <caption className="sr-only">Flags</caption>
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
            <th scope="row">
              <Link href={flagHref(flag.key)}>{flag.key}</Link>
              {flag.description !== "" && <div className="muted small">{flag.description}</div>}
            </th>
            <td>
              <StateBadge flag={flag} />
              {isStale(flag, now) && (
                <span className="badge stale" title={`expired ${flag.expiresAt}`}>
                  ⚠ stale
                </span>
              )}
            </td>
            <td>
              <Rollout percentage={flag.enabled ? flag.percentage : 0} label={flag.enabled ? formatPercentage(flag.percentage) : "off"} />
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
