import type { JudgeMetric, JudgeSettings } from "@darklaunch/core";

/** Core's `JUDGE_METRICS`, repeated so the page does not bundle core's runtime for one list (the type keeps them in step). */
export const DECISION_METRICS: readonly JudgeMetric[] = ["errors", "latencyP95", "latencyP99", "latencyPaired"] satisfies JudgeMetric[];

/** The judge settings the launch page lets a write token change, as the form's text. */
export interface JudgeForm {
  critical: string[];
  /** `tolerances.errors`, a ratio such as 1.1. */
  errorsTolerance: string;
  /** `warmupMinutes`. */
  warmup: string;
  /** `errorRateObjective` in percent (1 = 1 %); empty: none. */
  errorObjective: string;
}

/** The form's fields; each names the setting path whose server message belongs beside it. */
export type JudgeFormField = keyof JudgeForm;

export const FIELD_PATHS: Record<JudgeFormField, string> = {
  critical: "critical",
  errorsTolerance: "tolerances.errors",
  warmup: "warmupMinutes",
  errorObjective: "errorRateObjective",
};

/** `0.01` → `"1"`; trims binary noise (0.07 × 100 = 7.000000000000001). */
const percentText = (share: number | undefined) => (share === undefined ? "" : String(Number((share * 100).toPrecision(10))));

export function formFromSettings(settings: JudgeSettings): JudgeForm {
  return {
    critical: [...settings.critical],
    errorsTolerance: String(settings.tolerances.errors),
    warmup: String(settings.warmupMinutes),
    errorObjective: percentText(settings.errorRateObjective),
  };
}

/** A number typed in a field; anything else goes to the server as typed, which names the field and says what it must be. */
const numberOrText = (text: string): number | string => {
  const trimmed = text.trim();
  const value = Number(trimmed);
  return trimmed !== "" && Number.isFinite(value) ? value : trimmed;
};

export type FormOutcome =
  | { body: Record<string, unknown>; changed: JudgeFormField[] }
  | { problems: Partial<Record<JudgeFormField, string>> };

/**
 * The PUT body for the flag's judge settings: what the flag stores now with the fields the user
 * changed (against `shown`, the form as it was filled) laid over it, so untouched defaults stay
 * defaults. An emptied objective is removed. Only what the browser can tell is wrong without the
 * server (an objective that is no number) comes back as a problem; ranges are the server's to judge.
 *
 * @example
 * bodyFromForm({ alpha: 0.01 }, shown, { ...shown, errorObjective: "1" }); // { body: { alpha: 0.01, errorRateObjective: 0.01 }, … }
 */
export function bodyFromForm(stored: Record<string, unknown>, shown: JudgeForm, form: JudgeForm): FormOutcome {
  const body: Record<string, unknown> = structuredClone(stored);
  const changed: JudgeFormField[] = [];
  if (form.critical.join(",") !== shown.critical.join(",")) {
    body.critical = [...form.critical];
    changed.push("critical");
  }
  if (form.errorsTolerance.trim() !== shown.errorsTolerance) {
    const tolerances = typeof body.tolerances === "object" && body.tolerances !== null ? body.tolerances : {};
    body.tolerances = { ...tolerances, errors: numberOrText(form.errorsTolerance) };
    changed.push("errorsTolerance");
  }
  if (form.warmup.trim() !== shown.warmup) {
    body.warmupMinutes = numberOrText(form.warmup);
    changed.push("warmup");
  }
  const objective = form.errorObjective.trim().replace(/\s*%$/, "");
  if (objective !== shown.errorObjective) {
    changed.push("errorObjective");
    if (objective === "") delete body.errorRateObjective;
    else {
      const value = Number(objective);
      if (!Number.isFinite(value))
        return { problems: { errorObjective: `must be a percentage such as 1 (for 1 %), got ${JSON.stringify(form.errorObjective)}` } };
      body.errorRateObjective = value / 100;
    }
  }
  return { body, changed };
}

/**
 * The server's problems (`details` of a 400: `{ path, message }`) by form field; problems of a
 * setting the form does not show (such as `tolerances.safe`, which must stay above the error
 * tolerance) go to `other`.
 */
export function problemsByField(details: unknown): { fields: Partial<Record<JudgeFormField, string>>; other: string[] } {
  const fields: Partial<Record<JudgeFormField, string>> = {};
  const other: string[] = [];
  if (!Array.isArray(details)) return { fields, other };
  for (const problem of details) {
    if (typeof problem !== "object" || problem === null) continue;
    const { path, message } = problem as { path?: unknown; message?: unknown };
    if (typeof path !== "string" || typeof message !== "string") continue;
    const field = (Object.keys(FIELD_PATHS) as JudgeFormField[]).find(
      (f) => path === FIELD_PATHS[f] || path.startsWith(`${FIELD_PATHS[f]}.`) || path.startsWith(`${FIELD_PATHS[f]}[`),
    );
    const text = `${path}: ${message}`;
    if (field === undefined) other.push(text);
    else fields[field] = fields[field] === undefined ? text : `${fields[field]}; ${text}`;
  }
  return { fields, other };
}

/** `1.00 %` for an objective share. */
export function formatObjective(share: number): string {
  return `${Number((share * 100).toPrecision(6))} %`;
}

/** The panel's rows: each shown setting, its value and where it comes from. */
export function settingRows(
  settings: JudgeSettings,
  sourceOf: (path: string) => string,
): { label: string; path: string; value: string; source: string }[] {
  const t = settings.tolerances;
  return [
    { label: "Critical metrics", path: "critical", value: settings.critical.join(", ") || "none", source: sourceOf("critical") },
    { label: "α (family-wise error rate)", path: "alpha", value: String(settings.alpha), source: sourceOf("alpha") },
    { label: "Warm-up", path: "warmupMinutes", value: `${settings.warmupMinutes} min`, source: sourceOf("warmupMinutes") },
    { label: "Tolerance: errors", path: "tolerances.errors", value: `${t.errors}×`, source: sourceOf("tolerances.errors") },
    {
      label: "Tolerance: tail latency",
      path: "tolerances.latencyTail",
      value: `${t.latencyTail}×`,
      source: sourceOf("tolerances.latencyTail"),
    },
    {
      label: "Tolerance: paired latency",
      path: "tolerances.latencyPaired",
      value: `${t.latencyPaired}×`,
      source: sourceOf("tolerances.latencyPaired"),
    },
    { label: "Tolerance: mismatches", path: "tolerances.mismatches", value: `${t.mismatches}×`, source: sourceOf("tolerances.mismatches") },
    { label: "Safe margin", path: "tolerances.safe", value: `${t.safe}×`, source: sourceOf("tolerances.safe") },
    {
      label: "Error-rate objective",
      path: "errorRateObjective",
      value: settings.errorRateObjective === undefined ? "none" : formatObjective(settings.errorRateObjective),
      source: settings.errorRateObjective === undefined ? "not set" : sourceOf("errorRateObjective"),
    },
  ];
}
