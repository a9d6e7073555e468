import type { RampRecord, RampVerdictListResponse } from "@darklaunch/core";
import { useMemo } from "react";
import { rampTimeline } from "./launch-model.js";
import { VerdictBadge } from "./launch-summary.js";

const time = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** The ramp's steps, oldest first: when each began and ended, and the verdict that ended it. */
export function RampTimeline({ ramp, verdicts }: { ramp: RampRecord; verdicts: RampVerdictListResponse["verdicts"] | undefined }) {
  const steps = useMemo(() => rampTimeline(ramp, verdicts), [ramp, verdicts]);
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">
        Ramp timeline <span className={`badge ramp-${ramp.status}`}>{ramp.status.replace("_", " ")}</span>
      </h2>
      <p className="small muted" data-testid="ramp-why">
        {ramp.state.statusWhy}
      </p>
      <ol className="timeline" data-testid="ramp-timeline">
        {steps.map((s) => (
          <li key={`${s.startedAt}-${s.label}`} className={s.endedAt === null ? "current" : ""}>
            <span className="step-label">{s.label}</span>
            <span className="small">
              <time dateTime={new Date(s.startedAt).toISOString()}>{time(s.startedAt)}</time>
              {s.endedAt !== null ? (
                <>
                  {" – "}
                  <time dateTime={new Date(s.endedAt).toISOString()}>{time(s.endedAt)}</time> · {s.endedBy}
                  {s.by !== null && s.by !== "ramp" ? ` by ${s.by}` : ""}
                </>
              ) : (
                <> · {ramp.status === "running" ? "now" : ramp.status.replace("_", " ")}</>
              )}
            </span>
            {s.notes.length > 0 && (
              <ul className="step-notes small">
                {s.notes.map((n) => (
                  <li key={`${n.at}-${n.kind}`}>
                    <time dateTime={new Date(n.at).toISOString()}>{time(n.at)}</time> {n.kind}
                    {n.by !== "ramp" ? ` by ${n.by}` : ""}: {n.why}
                  </li>
                ))}
              </ul>
            )}
            {s.verdict !== null && (
              <span className="small">
                <VerdictBadge state={s.verdict.state} /> {s.verdict.why}
              </span>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
