import type { MismatchReport, RouteBreakdown } from "@darklaunch/core";
import { useId } from "react";
import { flagPath } from "../api.js";
import { formatRate } from "../format.js";
import { useSession } from "../session-context.js";
import { ErrorNote, Loading } from "../status.js";
import { usePoll } from "../use-poll.js";

export interface RouteScope {
  route: string;
  source: string;
}

/**
 * Route × source: requests and errors per side, mismatches and those beyond noise. With `onPick`,
 * each row offers a button that narrows the page to that route.
 */
export function RouteBreakdownTable({
  routes,
  picked,
  onPick,
}: {
  routes: readonly RouteBreakdown[];
  picked?: RouteScope | null;
  onPick?: (scope: RouteScope | null) => void;
}) {
  const prefix = useId();
  const index = new Map(routes.map((r, i) => [`${r.source} ${r.route}`, i]));
  const rowId = (r: RouteBreakdown) => `${prefix}-route-${index.get(`${r.source} ${r.route}`)}`;
  if (routes.length === 0) return <p className="muted">No route was observed in this period.</p>;
  return (
    <table className="routes">
      <caption>Routes × sources</caption>
      <thead>
        <tr>
          <th scope="col">Route</th>
          <th scope="col">Source</th>
          <th scope="col">Requests (baseline / dark)</th>
          <th scope="col">Errors (baseline / dark)</th>
          <th scope="col">Mismatched</th>
          <th scope="col">Beyond noise</th>
          {onPick !== undefined && <th scope="col">Show</th>}
        </tr>
      </thead>
      <tbody>
        {routes.map((r) => {
          const isPicked = picked?.route === r.route && picked?.source === r.source;
          const worse = r.dark.errorRate !== null && r.baseline.errorRate !== null && r.dark.errorRate > r.baseline.errorRate;
          return (
            <tr key={`${r.source} ${r.route}`} data-route={r.route}>
              <th scope="row" id={rowId(r)}>
                <code>{r.route}</code> <span className="sr-only">from {r.source}</span>
              </th>
              <td>{r.source}</td>
              <td>
                {r.baseline.requests} / {r.dark.requests}
              </td>
              <td>
                {formatRate(r.baseline.errorRate)} / {formatRate(r.dark.errorRate)}
                {worse && <span className="sr-only"> (dark fails more)</span>}
                {worse && <span aria-hidden="true"> ▲</span>}
              </td>
              <td>
                {r.comparison.mismatched} of {r.comparison.total} ({formatRate(r.comparison.divergenceRate)})
              </td>
              <td data-testid="beyond-noise">
                {r.beyondNoise > 0 ? (
                  <span className="badge bad">
                    ▲ {r.beyondNoise} in {r.realFields} field{r.realFields === 1 ? "" : "s"}
                  </span>
                ) : (
                  <span className="badge muted">≈ noise only</span>
                )}
              </td>
              {onPick !== undefined && (
                <td>
                  <button
                    type="button"
                    className="secondary"
                    aria-pressed={isPicked}
                    aria-describedby={rowId(r)}
                    onClick={() => onPick(isPicked ? null : { route: r.route, source: r.source })}
                  >
                    {isPicked ? "All routes" : "Only this route"}
                  </button>
                </td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The breakdown for a launch page: reads the flag's last hour itself. */
export function RouteBreakdownPanel({ flagKey, since = "1h" }: { flagKey: string; since?: string }) {
  const { api } = useSession();
  const report = usePoll(
    (tag) => api.request<MismatchReport>("GET", flagPath(flagKey, `/mismatches?since=${since}&limit=1`), undefined, tag),
    [api, flagKey, since],
  );
  if (report.error !== undefined) return <ErrorNote error={report.error} what="the route breakdown" />;
  if (report.data === undefined) return <Loading what="the route breakdown" />;
  return <RouteBreakdownTable routes={report.data.routes} />;
}
