import type { AuditPage } from "@darklaunch/core";
import { useState } from "react";
import { changedFields, formatRelative } from "../format.js";
import { Link } from "../link.js";
import { flagHref } from "../router.js";
import { useSession } from "../session-context.js";
import { Empty, ErrorNote, Loading } from "../status.js";
import { usePoll } from "../use-poll.js";

/** Every change, newest first, with who made it and what it changed; for one flag or all. */
export function AuditView({ flagKey }: { flagKey?: string }) {
  const { api } = useSession();
  const [filter, setFilter] = useState("");
  const [actor, setActor] = useState("");
  const target = flagKey ?? filter.trim();
  const query = new URLSearchParams({
    limit: "100",
    ...(target === "" ? {} : { targetType: "flag", target }),
    ...(actor.trim() === "" ? {} : { actor: actor.trim() }),
  }).toString();
  const page = usePoll((tag) => api.request<AuditPage>("GET", `/api/v1/audit?${query}`, undefined, tag), [api, query]);

  return (
    <section>
      {flagKey === undefined ? <h1>Audit</h1> : <h2>Audit</h2>}
      {flagKey === undefined && (
        <form className="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Flag
            <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="flag key (exact)" />
          </label>
          <label>
            Actor
            <input type="search" value={actor} onChange={(e) => setActor(e.target.value)} placeholder="name or ramp:<id>" />
          </label>
        </form>
      )}
      {page.error !== undefined && <ErrorNote error={page.error} what="the audit log" />}
      {page.loading && <Loading what="the audit log" />}
      {page.data !== undefined && page.data.entries.length === 0 && (
        <Empty title="No changes recorded">
          <p>Every change to a flag, segment, override or token is recorded here with who made it.</p>
        </Empty>
      )}
      {page.data !== undefined && page.data.entries.length > 0 && (
        <table className="audit">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Target</th>
              <th scope="col">Before → after</th>
            </tr>
          </thead>
          <tbody>
            {page.data.entries.map((entry) => (
              <tr key={entry.id}>
                <td>
                  <time dateTime={entry.at} title={entry.at}>
                    {formatRelative(entry.at)}
                  </time>
                </td>
                <td>
                  <Actor actor={entry.actor} />
                </td>
                <td>
                  <code>{entry.action}</code>
                </td>
                <td>
                  {entry.targetType === "flag" ? (
                    <Link href={flagHref(entry.targetKey)}>{entry.targetKey}</Link>
                  ) : (
                    `${entry.targetType} ${entry.targetKey}`
                  )}
                </td>
                <td>
                  {whyOf(entry.after) !== undefined ? (
                    <p className="why">{whyOf(entry.after)}</p>
                  ) : (
                    <ul className="changes">
                      {changedFields(entry.before, entry.after).map((c) => (
                        <li key={c.field}>
                          {c.field !== "" && <code>{c.field}</code>} <Change before={c.before} after={c.after} />
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A ramp's note (start, pause, verdicts) says what happened in a sentence: shown instead of its JSON. */
function whyOf(after: unknown): string | undefined {
  if (typeof after !== "object" || after === null || !("ramp" in after)) return undefined;
  const why = (after as { why?: unknown }).why;
  return typeof why === "string" ? why : undefined;
}

/** Who made a change: a ramp (automatic, `ramp:<id>`) is told apart from a person's token by a sign and words. */
export function Actor({ actor }: { actor: string }) {
  if (!actor.startsWith("ramp:")) return <span>{actor}</span>;
  return (
    <span className="badge muted" title={actor}>
      <span aria-hidden="true">⟳</span> ramp <code>{actor.slice("ramp:".length)}</code>
    </span>
  );
}

/** `before → after`, or just the value when the record was created (or `→ (none)` when deleted). */
function Change({ before, after }: { before: string; after: string }) {
  if (before === "(none)") return <span className="after">{after}</span>;
  return (
    <>
      <span className="before">{before}</span> → <span className="after">{after}</span>
    </>
  );
}
