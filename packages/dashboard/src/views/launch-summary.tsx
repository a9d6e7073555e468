import type { FlagJudgeSettingsResponse, FlagRecord, ObservationSeries, RampRecord, VerdictResponse } from "@darklaunch/core";
import { formatRate } from "../format.js";
import {
  burnWords,
  divergenceTrend,
  errorBudgetBurn,
  errorRateObjective,
  formatRatioDelta,
  isBusinessMetric,
  METRIC_STATE_TEXT,
  metricLabel,
  metricState,
  trafficShare,
} from "./launch-model.js";

/**
 * The executive summary at the top of a launch: how much traffic dark gets, how often it answers
 * differently and where that is heading, its error budget burn (when the flag has an error-rate
 * objective), and the business metrics' deltas.
 */
export function LaunchSummary({
  flag,
  verdict,
  ramp,
  observations,
  judge,
}: {
  flag: FlagRecord;
  /** The flag's judge settings (for its error-rate objective). */
  judge: FlagJudgeSettingsResponse | undefined;
  verdict: VerdictResponse | undefined;
  ramp: RampRecord | null | undefined;
  observations: ObservationSeries | undefined;
}) {
  const share = trafficShare(verdict?.mode ?? "split", ramp ?? undefined, flag.percentage, observations?.totals);
  const divergence = observations?.totals.comparison.divergenceRate ?? null;
  const trend = observations ? divergenceTrend(observations.series) : undefined;
  const objective = errorRateObjective(ramp, judge?.settings);
  const burn = errorBudgetBurn(observations?.totals.dark.errorRate, objective);
  const business = (verdict?.metrics ?? []).filter((m) => isBusinessMetric(m.metric));

  return (
    <section className="summary" aria-label="Executive summary">
      <div className="summary-item" data-testid="summary-share">
        <h2>Traffic to dark</h2>
        <p className="big">{share.target === null ? "by rules" : `${share.target} %`}</p>
        <p className="small muted">
          {share.how}
          {share.observed !== null && ` · ${formatRate(share.observed)} of requests in the last hour`}
        </p>
      </div>
      <div className="summary-item" data-testid="summary-divergence">
        <h2>Divergence</h2>
        <p className="big">{formatRate(divergence, 2)}</p>
        <p className="small muted">
          {divergence === null ? "no compared responses in the last hour" : `of compared responses, last hour · ${trend?.text}`}
        </p>
      </div>
      {objective !== undefined && (
        <div className="summary-item" data-testid="summary-budget">
          <h2>Error budget burn</h2>
          {burn === undefined ? (
            <>
              <p className="big">—</p>
              <p className="small muted">no dark requests in the last hour · objective {formatRate(objective, 2)} errors</p>
            </>
          ) : (
            <BurnFigure burn={burn} darkErrorRate={observations?.totals.dark.errorRate} objective={objective} />
          )}
        </div>
      )}
      <div className="summary-item" data-testid="summary-verdict">
        <h2>Verdict</h2>
        <p className="big">{verdict ? <VerdictBadge state={verdict.state} /> : "…"}</p>
        <p className="small muted">{verdict ? verdict.action : "loading"}</p>
      </div>
      {business.length > 0 && (
        <div className="summary-item wide" data-testid="summary-business">
          <h2>Business metrics</h2>
          <ul className="plain">
            {business.map((m) => (
              <li key={m.metric}>
                <strong>{metricLabel(m.metric)}</strong> {formatRatioDelta(m.estimate)}{" "}
                <span className="small muted">({METRIC_STATE_TEXT[metricState(m)]})</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

function BurnFigure({ burn, darkErrorRate, objective }: { burn: number; darkErrorRate: number | null | undefined; objective: number }) {
  const { mark, level, over } = burnWords(burn);
  return (
    <>
      <p className={`big ${over ? "bad-text" : ""}`}>
        <span aria-hidden="true">{mark} </span>
        {burn.toFixed(2)}×
      </p>
      <p className="small">{level}</p>
      <p className="small muted">
        dark's error rate {formatRate(darkErrorRate, 2)} ÷ objective {formatRate(objective, 2)}, last hour
      </p>
    </>
  );
}

const STATE_MARK: Record<string, string> = {
  SAFE: "✓",
  REGRESSION: "✗",
  UNHEALTHY: "⚠",
  INCONCLUSIVE: "?",
  INSUFFICIENT: "…",
  RUNNING: "…",
};

/** A verdict state with a mark, so it reads without colour. */
export function VerdictBadge({ state }: { state: string }) {
  return (
    <span className={`badge judge-state judge-${state.toLowerCase()}`}>
      {STATE_MARK[state] ?? ""} {state}
    </span>
  );
}
