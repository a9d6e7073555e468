import type { ReactNode } from "react";
import { describeError } from "./api.js";

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorNote({ error, what }: { error: unknown; what: string }) {
  return (
    <div className="note error" role="alert">
      <strong>Could not load {what}.</strong> {describeError(error)}
    </div>
  );
}

/** What to do next when there is nothing to show yet. */
export function Empty({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children}
    </div>
  );
}
