import type { AnalysisResponse, VerdictResponse } from "@darklaunch/core";
import { useMemo } from "react";
import { EffectChart } from "./effect-chart.js";
import {
  type EvidenceMeter,
  effectColumns,
  evidenceMeters,
  formatEvidence,
  formatRatioDelta,
  hasEstimate,
  METRIC_STATE_TEXT,
  type MetricVerdict,
  metricLabel,
  metricState,
  tileMetrics,
} from "./launch-model.js";

/** One tile per decision metric (and per business metric): estimate, verdict, effect over time, evidence. */
export function MetricTiles({ verdict, analysis }: { verdict: VerdictResponse; analysis: AnalysisResponse | undefined }) {
  const metrics = tileMetrics(verdict.metrics);
  return (
    <section aria-labelledby="tiles-title">
      <h2 id="tiles-title">Decision metrics</h2>
      {metrics.length === 0 ? (
        <p className="muted">
          The judge has no metric to test yet: it needs observations of this flag (the proxy or a reporter posts them).
        </p>
      ) : (
        <div className="tiles">
          {metrics.map((m) => (
            <MetricTile key={m.metric} metric={m} analysis={analysis} />
          ))}
        </div>
      )}
    </section>
  );
}

function MetricTile({ metric, analysis }: { metric: MetricVerdict; analysis: AnalysisResponse | undefined }) {
  const state = metricState(metric);
  const label = metricLabel(metric.metric);
  const data = useMemo(
    () => (analysis ? effectColumns(analysis, metric.metric, metric.harm.nullRatio) : undefined),
    [analysis, metric.metric, metric.harm.nullRatio],
  );
  const titleId = `tile-${metric.metric.replace(/[^a-zA-Z0-9_-]/g, "-")}`;
  return (
    <article className={`tile tile-${state}`} aria-labelledby={titleId} data-testid={`tile-${metric.metric}`}>
      <header>
        <h3 id={titleId}>
          {label}
          {metric.critical && <span className="badge muted">critical</span>}
        </h3>
        <span className={`badge metric-${state}`}>{METRIC_STATE_TEXT[state]}</span>
      </header>
      <p>
        <span className="big">{formatRatioDelta(metric.estimate)}</span>{" "}
        <span className="small muted">
          dark vs base{metric.estimate !== null ? ` (ratio ${metric.estimate.toFixed(3)})` : ""} · {metric.minutesTested} min tested
        </span>
      </p>
      <p className="small muted">{metric.note ?? metric.test}</p>
      {data !== undefined && hasEstimate(data) ? (
        <EffectChart title={label} data={data} />
      ) : (
        <p className="small muted no-chart">No estimate yet: the chart starts with the first tested minute.</p>
      )}
      <div className="meters">
        {evidenceMeters(metric).map((m) => (
          <Meter key={m.label} meter={m} metric={label} />
        ))}
      </div>
    </article>
  );
}

/** An e-value against its threshold on a log scale, with the numbers in words beside the bar. */
function Meter({ meter, metric }: { meter: EvidenceMeter; metric: string }) {
  const crossed = meter.peak !== undefined ? ` ✓ crossed at ${formatEvidence(meter.peak)}` : " ✓ crossed";
  const text = `e ${formatEvidence(meter.e)} of ${formatEvidence(meter.threshold)}${meter.crossed ? crossed : ""}`;
  return (
    <div className="meter-row">
      <span className="small">Evidence {meter.label}</span>
      <meter
        min={0}
        max={1}
        value={meter.fraction}
        aria-label={`${metric}: evidence ${meter.label}`}
        aria-valuetext={text}
        className={meter.label === "toward rollback" ? "harm" : "safe"}
      />
      <span className="small">{text}</span>
    </div>
  );
}
