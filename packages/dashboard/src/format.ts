import type { FlagRecord } from "@darklaunch/core";

/** `12.5%`; a rate in [0, 1] as a percentage, or an em dash when there is none. */
export function formatRate(rate: number | null | undefined, digits = 1): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return "—";
  return `${(rate * 100).toFixed(digits)}%`;
}

/** A rollout percentage as the API gives it (0–100). */
export function formatPercentage(percentage: number | null): string {
  if (percentage === null) return "rules";
  return `${Number.isInteger(percentage) ? percentage : percentage.toFixed(2)}%`;
}

/** Milliseconds with a precision that suits their size: `0.42 ms`, `12.3 ms`, `1.25 s`. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** Requests per second. */
export function formatPerSecond(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return "—";
  if (rate >= 100) return `${Math.round(rate)}/s`;
  return `${rate.toFixed(rate >= 1 ? 1 : 3)}/s`;
}

/** `3 min ago`, `2 h ago`, `in 5 d`, relative to `now`. */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const abs = Math.abs(seconds);
  const [value, unit] =
    abs < 60
      ? [abs, "s"]
      : abs < 3600
        ? [Math.round(abs / 60), "min"]
        : abs < 86_400
          ? [Math.round(abs / 3600), "h"]
          : [Math.round(abs / 86_400), "d"];
  if (abs < 5) return "just now";
  return seconds < 0 ? `${value} ${unit} ago` : `in ${value} ${unit}`;
}

/** Past its `expiresAt`: the launch is over and the flag should be removed from the code. */
export function isStale(flag: Pick<FlagRecord, "expiresAt">, now: number = Date.now()): boolean {
  return flag.expiresAt !== undefined && Date.parse(flag.expiresAt) <= now;
}

/** A value in one short line: strings as they are, everything else as JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "(absent)";
  if (typeof value === "string") return JSON.stringify(value);
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

export interface FieldChange {
  field: string;
  before: string;
  after: string;
}

/** A served variant or split in words: `on 25% · off 75%`, `off`. */
function formatServe(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const serve = value as { variant?: unknown; split?: unknown };
  if (typeof serve.variant === "string") return serve.variant;
  if (!Array.isArray(serve.split)) return undefined;
  const split = serve.split as { variant?: unknown; weight?: unknown }[];
  const total = split.reduce((sum, s) => sum + (typeof s.weight === "number" ? s.weight : 0), 0);
  if (total <= 0) return undefined;
  return split
    .map((s) => `${String(s.variant)} ${formatPercentage(Math.round(((Number(s.weight) || 0) / total) * 10_000) / 100)}`)
    .join(" · ");
}

function formatField(field: string, value: unknown): string {
  if (value === undefined) return "(absent)";
  return (field === "fallthrough" ? formatServe(value) : undefined) ?? formatValue(value);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Of a created or deleted record, the fields a person looks for first. */
const NOTABLE = ["name", "scope", "kind", "enabled", "fallthrough"];

/**
 * What an audit entry changed, field by field (top-level fields of the before and after records;
 * `version` and `updatedAt` always change and say nothing). A created or deleted record is
 * summarised by its notable fields.
 */
export function changedFields(before: unknown, after: unknown): FieldChange[] {
  const absent = (v: unknown) => v === null || v === undefined;
  if (absent(before) !== absent(after)) {
    const record = absent(before) ? after : before;
    const created = absent(before);
    const notable = isRecord(record) ? NOTABLE.filter((f) => record[f] !== undefined) : [];
    if (notable.length === 0)
      return [{ field: "", before: created ? "(none)" : formatValue(before), after: created ? formatValue(after) : "(none)" }];
    return notable.map((f) => {
      const value = formatField(f, (record as Record<string, unknown>)[f]);
      return { field: f, before: created ? "(none)" : value, after: created ? value : "(none)" };
    });
  }
  if (!isRecord(before) || !isRecord(after)) {
    if (JSON.stringify(before) === JSON.stringify(after)) return [];
    return [{ field: "", before: formatValue(before), after: formatValue(after) }];
  }
  const ignored = new Set(["version", "updatedAt", "createdAt"]);
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => !ignored.has(f)).sort();
  return fields
    .filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]))
    .map((f) => ({ field: f, before: formatField(f, before[f]), after: formatField(f, after[f]) }));
}

/** Matches a flag against a search text: its key, description, owner or a tag. */
export function matchesSearch(flag: Pick<FlagRecord, "key" | "description" | "owner" | "tags">, text: string): boolean {
  const needle = text.trim().toLowerCase();
  if (needle === "") return true;
  return [flag.key, flag.description, flag.owner, ...flag.tags].some((s) => s.toLowerCase().includes(needle));
}
