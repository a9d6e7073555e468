import type { AuditPage, ObservationSeries } from "@darklaunch/core";
import { useMemo, useState } from "react";
import { flagPath } from "../api.js";
import { changeMarkers, goldenSignals } from "../chart-data.js";
import { formatMs, formatPerSecond, formatRate, formatRelative } from "../format.js";
import { useSession } from "../session-context.js";
import { Empty, ErrorNote, Loading } from "../status.js";
import { usePoll } from "../use-poll.js";
import { BASELINE, type ChartSeries, DARK, DARK_DASH, GoldenChart } from "./golden-chart.js";

/** Periods and the step that keeps each under the API's 1000 steps. */
const PERIODS = [
  { since: "15m", step: "1m", label: "15 minutes" },
  { since: "1h", step: "1m", label: "1 hour" },
  { since: "6h", step: "5m", label: "6 hours" },
  { since: "24h", step: "15m", label: "24 hours" },
] as const;

const RATE: ChartSeries[] = [
  { label: "baseline", stroke: BASELINE },
  { label: "dark", stroke: DARK, dash: DARK_DASH },
];
const LATENCY: ChartSeries[] = [
  { label: "baseline p50", stroke: "#93c5fd" },
  { label: "baseline p95", stroke: "#3b82f6" },
  { label: "baseline p99", stroke: "#1e3a8a", width: 2 },
  { label: "dark p50", stroke: "#fdba74", dash: DARK_DASH },
  { label: "dark p95", stroke: "#ea580c", dash: DARK_DASH },
  { label: "dark p99", stroke: "#7c2d12", dash: DARK_DASH, width: 2 },
];

/** Golden signals, dark vs baseline per step: request rate, error rate, p50/p95/p99. */
export function SignalsView({ flagKey }: { flagKey: string }) {
  const { api } = useSession();
  const [periodIndex, setPeriodIndex] = useState(1);
  const period = PERIODS[periodIndex]!;
  const observations = usePoll(
    (tag) =>
      api.request<ObservationSeries>("GET", flagPath(flagKey, `/observations?since=${period.since}&step=${period.step}`), undefined, tag),
    [api, flagKey, period.since, period.step],
  );
  const changes = usePoll(
    (tag) => api.request<AuditPage>("GET", flagPath(flagKey, `/audit?since=${period.since}&limit=100`), undefined, tag),
    [api, flagKey, period.since],
  );
  const markers = useMemo(() => changeMarkers(changes.data?.entries ?? []), [changes.data]);
  const range = useMemo<[number, number]>(
    () => (observations.data ? [Date.parse(observations.data.since) / 1000, Date.parse(observations.data.until) / 1000] : [0, 1]),
    [observations.data],
  );
  const signals = useMemo(() => (observations.data ? goldenSignals(observations.data) : undefined), [observations.data]);

  return (
    <div>
      <div className="row">
        <h2>Golden signals</h2>
        <label>
          Period
          <select value={periodIndex} onChange={(e) => setPeriodIndex(Number(e.target.value))}>
            {PERIODS.map((p, i) => (
              <option key={p.since} value={i}>
                last {p.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {observations.error !== undefined && <ErrorNote error={observations.error} what="the observations" />}
      {observations.loading && <Loading what="observations" />}
      {observations.data !== undefined && signals?.empty && (
        <Empty title={`No observations in the last ${period.label}`}>
          <p>Put the proxy in front of a service, so it mirrors this flag's slice to the new version and reports what it sees:</p>
          <pre>
            <code>{`darklaunch proxy --flag ${flagKey} --stable http://127.0.0.1:3000 --dark http://127.0.0.1:3001`}</code>
          </pre>
          <p>or report windows from your own code with POST /api/v1/observations.</p>
        </Empty>
      )}
      {observations.data !== undefined && signals !== undefined && !signals.empty && (
        <>
          <Totals totals={observations.data.totals} />
          <div className="charts">
            <GoldenChart title="Request rate" unit="req/s" series={RATE} data={signals.rate} markers={markers} period={range} />
            <GoldenChart title="Error rate" unit="%" series={RATE} data={signals.errors} markers={markers} period={range} />
            <GoldenChart title="Latency" unit="ms" series={LATENCY} data={signals.latency} markers={markers} period={range} />
          </div>
          {changes.data !== undefined && changes.data.entries.length > 0 && (
            <>
              <h3>Flag changes in this period (dotted lines)</h3>
              <ul className="changes-list">
                {changes.data.entries.map((e) => (
                  <li key={e.id}>
                    <time dateTime={e.at} title={e.at}>
                      {formatRelative(e.at)}
                    </time>{" "}
                    <code>{e.action}</code> by {e.actor}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </div>
  );
}

function Totals({ totals }: { totals: ObservationSeries["totals"] }) {
  const rows = [
    { side: "baseline", s: totals.baseline },
    { side: "dark", s: totals.dark },
  ];
  return (
    <table className="totals">
      <caption>Over the period</caption>
      <thead>
        <tr>
          <th scope="col">Side</th>
          <th scope="col">Requests</th>
          <th scope="col">Rate</th>
          <th scope="col">Errors</th>
          <th scope="col">p50</th>
          <th scope="col">p95</th>
          <th scope="col">p99</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ side, s }) => (
          <tr key={side}>
            <th scope="row">
              <span className={`swatch ${side}`} aria-hidden="true" /> {side}
            </th>
            <td>{s.requests}</td>
            <td>{formatPerSecond(s.requestRate)}</td>
            <td>
              {formatRate(s.errorRate, 2)} ({s.errors})
            </td>
            <td>{formatMs(s.p50)}</td>
            <td>{formatMs(s.p95)}</td>
            <td>{formatMs(s.p99)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">Divergence</th>
          <td colSpan={6}>
            {formatRate(totals.comparison.divergenceRate, 2)} of {totals.comparison.total} compared responses differed (
            {totals.comparison.mismatched})
          </td>
        </tr>
      </tfoot>
    </table>
  );
}
