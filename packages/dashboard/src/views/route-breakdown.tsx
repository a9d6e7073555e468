import type { ObservationSeries, VerdictResponse } from "@darklaunch/core";
import { useRef } from "react";
import { flagPath } from "../api.js";
import { formatMs, formatRate } from "../format.js";
import { useSession } from "../session-context.js";
import { ErrorNote, Loading } from "../status.js";
import { usePoll } from "../use-poll.js";
import { type BreakdownRow, breakdownRoutes, breakdownRow, OBSERVED_SOURCES } from "./route-breakdown-model.js";

/** Re-reading one series per route and source is many calls: refresh the table at most this often. */
const REFRESH_MS = 10_000;

/** Observations per route and source over the last hour: requests, errors, p95 and mismatches, dark vs base. */
export function RouteBreakdown({ flagKey, verdict, since }: { flagKey: string; verdict: VerdictResponse | undefined; since: string }) {
  const { api } = useSession();
  const routes = breakdownRoutes(verdict);
  const cache = useRef<{ at: number; key: string; rows: BreakdownRow[] } | null>(null);
  const routesKey = routes.join("\n");
  const rows = usePoll(async () => {
    const cached = cache.current;
    if (cached !== null && cached.key === routesKey && Date.now() - cached.at < REFRESH_MS) return cached.rows;
    const read = (query: string) =>
      api.request<ObservationSeries>("GET", flagPath(flagKey, `/observations?since=${since}&step=${since}&${query}`));
    // Sources first (three calls), then each route only under the sources that saw traffic.
    const sources = await Promise.all(OBSERVED_SOURCES.map(async (source) => ({ source, series: await read(`source=${source}`) })));
    const live = sources.filter((s) => s.series.totals.baseline.requests + s.series.totals.dark.requests > 0).map((s) => s.source);
    const pairs = live.flatMap((source) => routes.map((route) => ({ route, source })));
    const answered = await Promise.all(
      pairs.map(async (p) => breakdownRow(p.route, p.source, await read(`source=${p.source}&route=${encodeURIComponent(p.route)}`))),
    );
    const found = answered.filter((r) => r.requests > 0).sort((a, b) => b.requests - a.requests);
    cache.current = { at: Date.now(), key: routesKey, rows: found };
    return found;
  }, [api, flagKey, since, routesKey]);

  return (
    <section aria-labelledby="breakdown-title">
      <h2 id="breakdown-title">Routes and sources</h2>
      {rows.error !== undefined && <ErrorNote error={rows.error} what="the route breakdown" />}
      {rows.loading && <Loading what="the route breakdown" />}
      {rows.data !== undefined && rows.data.length === 0 && (
        // One hint, not two: the golden signals below say how to start reporting observations.
        <p className="muted">No routes observed in the last {since}: they appear once the proxy or a reporter posts observations.</p>
      )}
      {rows.data !== undefined && rows.data.length > 0 && (
        <div className="table-scroll">
          <table data-testid="route-breakdown">
            <caption className="sr-only">Observations per route and source, last {since}</caption>
            <thead>
              <tr>
                <th scope="col">Route</th>
                <th scope="col">Source</th>
                <th scope="col">Requests (base / dark)</th>
                <th scope="col">Errors (base / dark)</th>
                <th scope="col">p95 (base / dark)</th>
                <th scope="col">Mismatches</th>
              </tr>
            </thead>
            <tbody>
              {rows.data.map((r) => (
                <tr key={`${r.route}|${r.source}`}>
                  <th scope="row">
                    <code>{r.route}</code>
                  </th>
                  <td>{r.source}</td>
                  <td>
                    {r.baseline.requests} / {r.dark.requests}
                  </td>
                  <td>
                    {formatRate(r.baseline.errorRate, 2)} / {formatRate(r.dark.errorRate, 2)}
                  </td>
                  <td>
                    {formatMs(r.baseline.p95)} / {formatMs(r.dark.p95)}
                  </td>
                  <td>
                    {r.mismatched} of {r.compared}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
