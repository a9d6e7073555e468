/** Prints a value as indented JSON (`--json`). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function print(line = ""): void {
  process.stdout.write(`${line}\n`);
}

export type Cell = string | number | boolean | null | undefined;

function text(cell: Cell): string {
  if (cell === null || cell === undefined || cell === "") return "-";
  return String(cell);
}

/**
 * A plain-text table: a header in capitals, columns padded to their widest cell, the last column
 * left ragged. `empty` is printed instead when there are no rows.
 */
export function printTable(headers: string[], rows: Cell[][], empty = "(none)"): void {
  if (rows.length === 0) {
    print(empty);
    return;
  }
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((row) => row.map(text))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  for (const row of cells) {
    print(
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    );
  }
}

/** `  label:  value` lines with the labels aligned. */
export function printFields(fields: [string, Cell][]): void {
  const width = Math.max(...fields.map(([label]) => label.length)) + 1;
  for (const [label, value] of fields) print(`  ${`${label}:`.padEnd(width)}  ${text(value)}`);
}

/** 12.5 → "12.5%", null → "-". */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "-" : `${Math.round(value * 100) / 100}%`;
}

/** `before → after`, or just the value when it did not change. */
export function change(before: Cell, after: Cell): string {
  return text(before) === text(after) ? text(after) : `${text(before)} → ${text(after)}`;
}

/** An ISO time shortened for tables: `2026-05-01 12:00:03`. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return "-";
  return iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "");
}

/** A compact one-line rendering of any value, cut at `max` characters. */
export function compact(value: unknown, max = 80): string {
  const rendered = value === undefined ? "(absent)" : typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value);
  return rendered.length > max ? `${rendered.slice(0, max - 1)}…` : rendered;
}

/** True for a flag's `fallthrough` (`{ variant }` or `{ split }`). */
export function isServe(value: unknown): boolean {
  return typeof value === "object" && value !== null && ("variant" in value || "split" in value);
}

/** A fallthrough as users read it: `stable 50% / shadow 40% / dark 10%` (one variant: `dark 100%`). */
export function splitText(serve: { variant?: string; split?: { variant: string; weight: number }[] }): string {
  const shares = serve.split ?? (serve.variant === undefined ? [] : [{ variant: serve.variant, weight: 100 }]);
  return shares.map((entry) => `${entry.variant} ${percent(entry.weight)}`).join(" / ");
}
