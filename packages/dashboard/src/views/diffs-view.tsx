import type { LocatedSample, MismatchReport, VerdictResponse } from "@darklaunch/core";
import { useState } from "react";
import { flagPath } from "../api.js";
import { buildFieldTree, type FieldNode, fieldDiagnostics } from "../field-tree.js";
import { formatRate, formatRelative, formatValue } from "../format.js";
import { summaryPeriod } from "../launch-summary.js";
import { useSession } from "../session-context.js";
import { Empty, ErrorNote, Loading } from "../status.js";
import { usePoll } from "../use-poll.js";
import { RouteBreakdownTable, type RouteScope } from "./route-breakdown.js";

/** The last 24 hours up to the end of this minute: the same URL (and a 304) all minute long. */
function dayPeriod(): string {
  const { until } = summaryPeriod(Date.now());
  const since = new Date(Date.parse(until) - 24 * 3_600_000).toISOString();
  return `since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`;
}

/** Diffy's drill-down: routes, then which fields differ and how often beyond noise, then samples side by side. */
export function DiffsView({ flagKey }: { flagKey: string }) {
  const { api } = useSession();
  const [scope, setScope] = useState<RouteScope | null>(null);
  const filter = scope === null ? "" : `&route=${encodeURIComponent(scope.route)}&source=${encodeURIComponent(scope.source)}`;
  const all = usePoll(
    (tag) => api.request<MismatchReport>("GET", flagPath(flagKey, `/mismatches?${dayPeriod()}&limit=1`), undefined, tag),
    [api, flagKey],
  );
  const report = usePoll(
    (tag) => api.request<MismatchReport>("GET", flagPath(flagKey, `/mismatches?${dayPeriod()}&limit=50${filter}`), undefined, tag),
    [api, flagKey, filter],
  );
  // The judge's e-BH diagnostics per field, when it has them; the diffs stand without them.
  const verdict = usePoll(() => api.request<VerdictResponse>("GET", flagPath(flagKey, "/verdict?since=24h")), [api, flagKey]);
  const [open, setOpen] = useState<number | null>(null);

  if (report.error !== undefined) return <ErrorNote error={report.error} what="the differences" />;
  if (report.data === undefined) return <Loading what="differences" />;
  const { comparison, fields, samples } = report.data;
  if (scope === null && comparison.total === 0 && samples.length === 0) {
    return (
      <Empty title="No compared responses in the last 24 hours">
        <p>
          Differences appear when the proxy mirrors requests to the dark version and compares its answers with the baseline. Add{" "}
          <code>--secondary</code> (a second baseline instance) so that fields which differ between two baselines count as noise:
        </p>
        <pre>
          <code>{`darklaunch proxy --flag ${flagKey} --stable http://127.0.0.1:3000 --dark http://127.0.0.1:3001 --secondary http://127.0.0.1:3002`}</code>
        </pre>
      </Empty>
    );
  }
  const tree = buildFieldTree(fields, fieldDiagnostics(verdict.data?.diagnostics));
  const selected = open === null ? undefined : samples[open];
  return (
    <div>
      <h2>Diffs</h2>
      <p>
        {comparison.mismatched} of {comparison.total} compared responses differed ({formatRate(comparison.divergenceRate, 2)}) in the last
        24 hours{scope === null ? "" : ` on ${scope.route} (${scope.source})`}.
      </p>
      {all.data !== undefined && (
        <RouteBreakdownTable
          routes={all.data.routes}
          picked={scope}
          onPick={(picked) => {
            setOpen(null);
            setScope(picked);
          }}
        />
      )}
      <FieldTree nodes={tree} diagnosed={verdict.data !== undefined} />
      <h3>Samples</h3>
      {samples.length === 0 ? (
        <p className="muted">No samples were kept in this period.</p>
      ) : (
        <ul className="samples">
          {samples.map((s, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: samples have no id, and a list is replaced whole, never reordered.
            <li key={i}>
              <button type="button" className="link" aria-expanded={open === i} onClick={() => setOpen(open === i ? null : i)}>
                {s.method ?? ""} {s.url ?? s.route} · {s.differences.length} field{s.differences.length === 1 ? "" : "s"} ·{" "}
                {formatRelative(s.at)}
              </button>
            </li>
          ))}
        </ul>
      )}
      {selected !== undefined && <SampleView sample={selected} />}
    </div>
  );
}

/** The field-path tree as a table: one row per path, children indented under their parent. */
function FieldTree({ nodes, diagnosed }: { nodes: FieldNode[]; diagnosed: boolean }) {
  const rows: { node: FieldNode; depth: number }[] = [];
  const walk = (list: FieldNode[], depth: number) => {
    for (const node of list) {
      rows.push({ node, depth });
      walk(node.children, depth + 1);
    }
  };
  walk(nodes, 0);
  if (rows.length === 0) return <p className="muted">No field differed in this period.</p>;
  return (
    <table className="fields">
      <caption>Fields that differed (children under their parent; a parent adds up its fields)</caption>
      <thead>
        <tr>
          <th scope="col">Field path</th>
          <th scope="col">Differences</th>
          <th scope="col">Rate</th>
          <th scope="col">Noise share</th>
          <th scope="col">Verdict</th>
          <th scope="col">Judge (e-BH)</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ node, depth }) => (
          <tr key={node.path} data-path={node.path} className={node.report === undefined ? "parent" : undefined}>
            <th scope="row" style={{ paddingLeft: `${0.6 + depth * 1.25}rem` }}>
              {depth > 0 && <span aria-hidden="true">└ </span>}
              <code>{node.path}</code>
            </th>
            <td>{node.differences}</td>
            <td>{node.report === undefined ? "" : formatRate(node.report.rate, 2)}</td>
            <td>
              {node.noiseShare === null ? (
                <span className="muted">no baseline pair</span>
              ) : (
                <>
                  <span className="noise-meter" aria-hidden="true">
                    <span className="fill" style={{ width: `${Math.round(node.noiseShare * 100)}%` }} />
                  </span>{" "}
                  {formatRate(node.noiseShare, 0)}
                  {node.report !== undefined && <span className="muted small"> ({node.report.noise} in baseline pairs)</span>}
                </>
              )}
            </td>
            <td>
              {node.significant ? <span className="badge bad">▲ real difference</span> : <span className="badge muted">≈ noise</span>}
            </td>
            <td>
              {node.diagnostic === undefined ? (
                <span className="muted small">{diagnosed && node.report !== undefined ? "not tested" : ""}</span>
              ) : (
                <span className="small">
                  e = {node.diagnostic.e < 1000 ? node.diagnostic.e.toFixed(1) : node.diagnostic.e.toExponential(1)}
                  {node.diagnostic.flagged ? " · ✓ flagged" : " · not flagged"}
                </span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One sample: the request, then baseline and dark side by side, every differing field marked by a sign, a frame and words. */
function SampleView({ sample }: { sample: LocatedSample }) {
  const statusDiffers = sample.baselineStatus !== sample.darkStatus;
  return (
    <section className="sample" aria-label="Sample">
      <h3>
        {sample.method ?? ""} {sample.url ?? ""}
      </h3>
      <table className="side-by-side">
        <caption className="sr-only">The request, and the baseline's and dark's answers; rows marked ≠ differ</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Baseline</th>
            <th scope="col">Dark</th>
          </tr>
        </thead>
        <tbody>
          <tr className="request">
            <th scope="row">request</th>
            <td colSpan={2}>
              <code>
                {sample.method ?? "?"} {sample.url ?? "(no URL kept)"}
              </code>{" "}
              <span className="muted small">
                route {sample.route} · source {sample.source} · {sample.at}
                {sample.requestId !== undefined && ` · request ${sample.requestId}`}
              </span>
            </td>
          </tr>
          <tr className={statusDiffers ? "differs" : undefined}>
            <th scope="row">status</th>
            <td>{sample.baselineStatus ?? "—"}</td>
            <td>
              {statusDiffers ? (
                <mark>
                  <span className="sr-only">differs: </span>
                  {sample.darkStatus ?? "—"}
                </mark>
              ) : (
                (sample.darkStatus ?? "—")
              )}
            </td>
          </tr>
          {sample.differences.map((d) => (
            <tr key={d.path} className="differs" data-field={d.path}>
              <th scope="row">
                <code>{d.path}</code> <span className="kind">({d.kind})</span>
              </th>
              <td>
                <mark className="baseline">
                  <code>{formatValue(d.baseline)}</code>
                </mark>
              </td>
              <td>
                <mark>
                  <span className="sr-only">differs: </span>
                  <code>{formatValue(d.dark)}</code>
                </mark>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
