import type { FieldReport } from "@darklaunch/core";

/** e-BH diagnostics of one field from the judge's verdict: its e-value and whether it was flagged. */
export interface FieldDiagnostic {
  e: number;
  flagged: boolean;
}

/** A node of the field-path tree: a field's own counts, or a parent's totals over its descendants. */
export interface FieldNode {
  name: string;
  path: string;
  /** The report of this exact path, when one differed. */
  report: FieldReport | undefined;
  differences: number;
  noise: number;
  /** Of the differences at this rate, the share explained by baseline-vs-baseline noise (0–1), null without noise data. */
  noiseShare: number | null;
  /** This field or a descendant is a real difference (Diffy's rule). */
  significant: boolean;
  diagnostic: FieldDiagnostic | undefined;
  children: FieldNode[];
}

/** `body.items[0].price` → `["body", "items", "[0]", "price"]`. */
export function splitPath(path: string): string[] {
  return path.match(/\[[^\]]*\]|[^.[\]]+/g) ?? [path];
}

/** How much of a field's rate the noise rate explains: noiseRate / rate, at most 1. */
export function noiseShare(report: Pick<FieldReport, "rate" | "noiseRate">): number | null {
  if (report.noiseRate === null) return null;
  if (report.rate === 0) return report.noiseRate > 0 ? 1 : 0;
  return Math.min(1, report.noiseRate / report.rate);
}

/**
 * Builds the tree of differing field paths. A parent's counts are the sums of its descendants'
 * (one response may count in several), its noise share the weighted mean, children most frequent
 * first.
 */
export function buildFieldTree(fields: readonly FieldReport[], diagnostics: ReadonlyMap<string, FieldDiagnostic> = new Map()): FieldNode[] {
  const root: FieldNode = node("", "");
  for (const report of fields) {
    let at = root;
    let path = "";
    for (const part of splitPath(report.path)) {
      path = path === "" ? part : part.startsWith("[") ? `${path}${part}` : `${path}.${part}`;
      let child = at.children.find((c) => c.name === part);
      if (child === undefined) {
        child = node(part, path);
        at.children.push(child);
      }
      at = child;
    }
    at.report = report;
    at.diagnostic = diagnostics.get(report.path);
  }
  total(root);
  return root.children;
}

function node(name: string, path: string): FieldNode {
  return {
    name,
    path,
    report: undefined,
    differences: 0,
    noise: 0,
    noiseShare: null,
    significant: false,
    diagnostic: undefined,
    children: [],
  };
}

function total(n: FieldNode): void {
  for (const c of n.children) total(c);
  n.children.sort((a, b) => b.differences - a.differences || (a.name < b.name ? -1 : 1));
  const own = n.report;
  n.differences = (own?.differences ?? 0) + n.children.reduce((s, c) => s + c.differences, 0);
  n.noise = (own?.noise ?? 0) + n.children.reduce((s, c) => s + c.noise, 0);
  n.significant = (own?.significant ?? false) || n.children.some((c) => c.significant);
  // Weighted by differences so a parent reads like the fields under it.
  const parts = [
    ...(own === undefined ? [] : [{ d: own.differences, s: noiseShare(own) }]),
    ...n.children.map((c) => ({ d: c.differences, s: c.noiseShare })),
  ].filter((p) => p.s !== null);
  const weight = parts.reduce((s, p) => s + p.d, 0);
  n.noiseShare =
    parts.length === 0 ? null : weight === 0 ? (parts[0]?.s ?? null) : parts.reduce((s, p) => s + p.d * (p.s as number), 0) / weight;
}

/** The verdict's `diagnostics.fields` rows by path, read defensively (the verdict types them loosely). */
export function fieldDiagnostics(diagnostics: Record<string, unknown> | undefined): Map<string, FieldDiagnostic> {
  const rows = diagnostics?.fields;
  const out = new Map<string, FieldDiagnostic>();
  if (!Array.isArray(rows)) return out;
  for (const row of rows as { key?: unknown; e?: unknown; flagged?: unknown }[]) {
    if (typeof row.key === "string" && typeof row.e === "number") out.set(row.key, { e: row.e, flagged: row.flagged === true });
  }
  return out;
}
