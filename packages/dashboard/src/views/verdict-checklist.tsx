import type { VerdictResponse } from "@darklaunch/core";
import { advanceCriteria } from "./launch-model.js";
import { VerdictBadge } from "./launch-summary.js";

/** The judge's why-sentence, and each criterion to advance with a tick or a cross (and words). */
export function VerdictChecklist({ verdict }: { verdict: VerdictResponse }) {
  const criteria = advanceCriteria(verdict);
  return (
    <section aria-labelledby="why-title" className="why">
      <h2 id="why-title">Why</h2>
      <p data-testid="why-sentence">
        <VerdictBadge state={verdict.state} /> {verdict.why}
      </p>
      <h3 id="criteria-title">To advance</h3>
      <ul className="checklist" aria-labelledby="criteria-title" data-testid="criteria">
        {criteria.map((c) => (
          <li key={c.label} className={c.met ? "met" : "unmet"}>
            <span className="tick" aria-hidden="true">
              {c.met ? "✓" : "✗"}
            </span>
            <span className="sr-only">{c.met ? "met:" : "not met:"}</span> <strong>{c.label}</strong>{" "}
            <span className="small muted">{c.detail}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
