// The time and paging rules of query strings are part of the API contract: core's protocol module
// holds them, so clients check their options with the same rules.
export { DurationParam, durationMs, PageParams, StepParam, TimeParam } from "@darklaunch/core";

/** The `before` of the next (older) page, or null when this page was the last. */
export function nextBefore(rows: readonly { id: number }[], limit: number): number | null {
  return rows.length === limit ? (rows[rows.length - 1]?.id ?? null) : null;
}
