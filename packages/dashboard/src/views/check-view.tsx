import type { CheckResponse } from "@darklaunch/core";
import { type FormEvent, useState } from "react";
import { describeError, flagPath } from "../api.js";
import { formatPercentage } from "../format.js";
import { useSession } from "../session-context.js";

/** Who is in: a subject (and attributes) → its position, verdict and the explanation. */
export function CheckView({ flagKey, percentage }: { flagKey: string; percentage: number | null }) {
  const { api } = useSession();
  const [subject, setSubject] = useState("");
  const [attributes, setAttributes] = useState("");
  const [whatIf, setWhatIf] = useState("");
  const [answer, setAnswer] = useState<CheckResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    let context: Record<string, unknown> | undefined;
    if (attributes.trim() !== "") {
      try {
        context = JSON.parse(attributes) as Record<string, unknown>;
      } catch (e) {
        setError(`The attributes are not JSON: ${(e as Error).message}`);
        return;
      }
    }
    setBusy(true);
    try {
      const body = { id: subject.trim(), ...(context ? { context } : {}), ...(whatIf.trim() !== "" ? { percentage: Number(whatIf) } : {}) };
      setAnswer(await api.request<CheckResponse>("POST", flagPath(flagKey, "/check"), body));
    } catch (e) {
      setAnswer(null);
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const result = answer?.results[0];
  return (
    <div>
      <h2>Who is in</h2>
      <form className="check-form" onSubmit={submit}>
        <label>
          Subject id
          <input value={subject} onChange={(e) => setSubject(e.target.value)} required placeholder="user-42" />
        </label>
        <label>
          Attributes (JSON, optional)
          <input value={attributes} onChange={(e) => setAttributes(e.target.value)} placeholder='{"country":"FR"}' />
        </label>
        <label>
          What if the rollout were (%)
          <input
            type="number"
            min={0}
            max={100}
            step={0.01}
            value={whatIf}
            onChange={(e) => setWhatIf(e.target.value)}
            placeholder={percentage === null ? "" : String(percentage)}
          />
        </label>
        <button type="submit" disabled={busy || subject.trim() === ""}>
          Check
        </button>
      </form>
      {error !== null && (
        <p className="note error" role="alert">
          {error}
        </p>
      )}
      {answer !== null && result !== undefined && (
        <section className="verdict" aria-live="polite">
          <p className="big">
            <strong>{result.subject}</strong> is{" "}
            {result.included ? <span className="badge on">✓ in</span> : <span className="badge off">✗ out</span>} — variant{" "}
            <code>{result.variant ?? "(none)"}</code>
          </p>
          <p>{result.summary}</p>
          <dl className="facts">
            <div>
              <dt>Position</dt>
              <dd>{result.position === null ? "—" : result.position.toFixed(4)}</dd>
            </div>
            <div>
              <dt>Included from</dt>
              <dd>{result.includedFrom === null ? "—" : formatPercentage(result.includedFrom)}</dd>
            </div>
            <div>
              <dt>Rollout now</dt>
              <dd>{formatPercentage(answer.percentage)}</dd>
            </div>
            <div>
              <dt>Bucketed by</dt>
              <dd>
                <code>{answer.bucketBy}</code>, salt <code>{answer.salt === "" ? '""' : answer.salt}</code>
              </dd>
            </div>
          </dl>
          {result.whatIf !== null && (
            <p className="note">
              At {formatPercentage(result.whatIf.percentage)}: {result.whatIf.included ? "✓ in" : "✗ out"}
              {result.whatIf.decidedEarlier && " (decided before the rollout: the percentage does not matter for this subject)"}
            </p>
          )}
          <h3>How it was decided</h3>
          <ol className="steps">
            {result.steps.map((s) => (
              <li key={`${s.step}:${s.detail}`}>
                <span className={`badge step-${s.outcome}`}>{s.outcome}</span> <strong>{s.step}</strong>: {s.detail}
              </li>
            ))}
          </ol>
        </section>
      )}
    </div>
  );
}
