import type { LocatedSample, MismatchReport } from "@darklaunch/core";
import { useState } from "react";
import { flagPath } from "../api.js";
import { formatRate, formatRelative, formatValue } from "../format.js";
import { useSession } from "../session-context.js";
import { Empty, ErrorNote, Loading } from "../status.js";
import { usePoll } from "../use-poll.js";

/** Diffy's drill-down: which fields differ and how often beyond noise, then samples side by side. */
export function DiffsView({ flagKey }: { flagKey: string }) {
  const { api } = useSession();
  const report = usePoll(() => api.request<MismatchReport>("GET", flagPath(flagKey, "/mismatches?since=24h&limit=50")), [api, flagKey]);
  const [open, setOpen] = useState<number | null>(null);

  if (report.error !== undefined) return <ErrorNote error={report.error} what="the differences" />;
  if (report.data === undefined) return <Loading what="differences" />;
  const { comparison, fields, samples } = report.data;
  if (comparison.total === 0 && samples.length === 0) {
    return (
      <Empty title="No compared responses in the last 24 hours">
        <p>
          Differences appear when the proxy mirrors requests to the dark version and compares its answers with the baseline. Add{" "}
          <code>--secondary</code> (a second baseline instance) so that fields which differ between two baselines count as noise.
        </p>
      </Empty>
    );
  }
  const selected = open === null ? undefined : samples[open];
  return (
    <div>
      <h2>Diffs</h2>
      <p>
        {comparison.mismatched} of {comparison.total} compared responses differed ({formatRate(comparison.divergenceRate, 2)}) in the last
        24 hours.
      </p>
      <table className="fields">
        <caption>Fields that differed</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Differences</th>
            <th scope="col">Rate</th>
            <th scope="col">Noise (baseline vs baseline)</th>
            <th scope="col">Verdict</th>
          </tr>
        </thead>
        <tbody>
          {fields.map((f) => (
            <tr key={f.path}>
              <th scope="row">
                <code>{f.path}</code>
              </th>
              <td>{f.differences}</td>
              <td>{formatRate(f.rate, 2)}</td>
              <td>
                {f.noise} ({formatRate(f.noiseRate, 2)})
              </td>
              <td>{f.significant ? <span className="badge bad">▲ real difference</span> : <span className="badge muted">≈ noise</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
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

/** One sample: baseline and dark side by side, every differing field marked. */
function SampleView({ sample }: { sample: LocatedSample }) {
  const statusDiffers = sample.baselineStatus !== sample.darkStatus;
  return (
    <section className="sample" aria-label="Sample">
      <h3>
        {sample.method ?? ""} {sample.url ?? ""}
      </h3>
      <p className="muted small">
        route {sample.route} · source {sample.source} · {sample.at}
        {sample.requestId !== undefined && ` · request ${sample.requestId}`}
      </p>
      <table className="side-by-side">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Baseline</th>
            <th scope="col">Dark</th>
          </tr>
        </thead>
        <tbody>
          <tr className={statusDiffers ? "differs" : undefined}>
            <th scope="row">status</th>
            <td>{sample.baselineStatus ?? "—"}</td>
            <td>{statusDiffers ? <mark>{sample.darkStatus ?? "—"}</mark> : (sample.darkStatus ?? "—")}</td>
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
