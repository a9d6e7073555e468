import type { FlagJudgeSettingsResponse, RampRecord } from "@darklaunch/core";
import { type FormEvent, useEffect, useId, useState } from "react";
import { ActionNote } from "../action-note.js";
import { ApiError, describeError, flagPath } from "../api.js";
import { isRampInProgress } from "../launch-summary.js";
import { useSession } from "../session-context.js";
import { ErrorNote, Loading } from "../status.js";
import type { Polled } from "../use-poll.js";
import {
  bodyFromForm,
  DECISION_METRICS,
  formFromSettings,
  type JudgeForm,
  type JudgeFormField,
  problemsByField,
  settingRows,
} from "./judge-settings-form.js";

const SOURCE_WORDS: Record<string, string> = {
  default: "default",
  flag: "set on the flag",
  ramp: "set by the ramp",
  plan: "from the ramp's plan",
  "not set": "not set",
};

/**
 * The judge settings a launch is judged with and where each comes from; for write and admin tokens,
 * a form for the common ones (critical metrics, the error tolerance, warm-up, the error-rate
 * objective), saved to the flag with `PUT /flags/{key}/judge`. A bad value shows the server's
 * message beside its field.
 */
export function JudgeSettingsPanel({
  flagKey,
  judge,
  ramp,
  onChanged,
}: {
  flagKey: string;
  judge: Polled<FlagJudgeSettingsResponse>;
  ramp: RampRecord | null | undefined;
  onChanged: () => void;
}) {
  const { canWrite } = useSession();
  const view = judge.data;
  const active = isRampInProgress(ramp);
  // A ramp in progress is judged with its effective settings (flag, ramp and plan layered); else the flag's.
  const settings = active ? ramp.judgeEffective.settings : view?.settings;
  const set = new Set(view?.set ?? []);
  const sourceOf = (path: string) => (active ? (ramp.judgeEffective.sources[path] ?? "default") : set.has(path) ? "flag" : "default");

  return (
    <section className="panel judge-panel" aria-labelledby="judge-settings-title" data-testid="judge-settings">
      <h2 id="judge-settings-title">Judge settings</h2>
      {judge.error !== undefined && <ErrorNote error={judge.error} what="the judge settings" />}
      {judge.loading && <Loading what="the judge settings" />}
      {settings !== undefined && (
        <>
          <p className="small muted">
            {active ? "What the ramp in progress is judged with." : "What the verdict and the next ramp are judged with."}
          </p>
          <table className="settings-table">
            <thead>
              <tr>
                <th scope="col">Setting</th>
                <th scope="col">Value</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {settingRows(settings, sourceOf).map((row) => (
                <tr key={row.path} data-setting={row.path}>
                  <th scope="row">{row.label}</th>
                  <td>{row.value}</td>
                  <td className="small">{SOURCE_WORDS[row.source] ?? row.source}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {canWrite && view !== undefined && <JudgeSettingsForm flagKey={flagKey} view={view} onChanged={onChanged} rampActive={active} />}
    </section>
  );
}

function JudgeSettingsForm({
  flagKey,
  view,
  onChanged,
  rampActive,
}: {
  flagKey: string;
  view: FlagJudgeSettingsResponse;
  onChanged: () => void;
  rampActive: boolean;
}) {
  const { api } = useSession();
  const id = useId();
  const shown = formFromSettings(view.settings);
  const shownKey = JSON.stringify(shown);
  const [form, setForm] = useState<JudgeForm>(shown);
  const [dirty, setDirty] = useState(false);
  const [problems, setProblems] = useState<Partial<Record<JudgeFormField, string>>>({});
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string; at: string | null } | null>(null);
  const [busy, setBusy] = useState(false);
  // Open or closed as the user left it (a save must not fold the form away under them).
  const [open, setOpen] = useState(false);
  // The form follows the server (a change from the CLI) unless the user is editing it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: shownKey stands for shown
  useEffect(() => {
    if (!dirty) setForm(shown);
  }, [shownKey, dirty]);
  // "Saved." describes one version of the settings: a later change (from the CLI, say) retires it.
  const current = message !== null && message.at !== view.updatedAt ? null : message;

  const edit = (patch: Partial<JudgeForm>) => {
    setDirty(true);
    setForm((f) => ({ ...f, ...patch }));
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(null);
    const outcome = bodyFromForm(view.stored, shown, form);
    if ("problems" in outcome) {
      setProblems(outcome.problems);
      return;
    }
    if (outcome.changed.length === 0) {
      setProblems({});
      setMessage({ kind: "ok", text: "Nothing changed.", at: view.updatedAt });
      return;
    }
    setBusy(true);
    try {
      const after = await api.request<FlagJudgeSettingsResponse>("PUT", flagPath(flagKey, "/judge"), outcome.body);
      setProblems({});
      setDirty(false);
      setMessage({ kind: "ok", text: "Saved to the flag.", at: after.updatedAt });
      onChanged();
    } catch (error) {
      const { fields, other } = error instanceof ApiError ? problemsByField(error.details) : { fields: {}, other: [] };
      setProblems(fields);
      if (Object.keys(fields).length === 0 || other.length > 0) {
        setMessage({ kind: "error", text: other.length > 0 ? other.join("; ") : describeError(error), at: view.updatedAt });
      }
    } finally {
      setBusy(false);
    }
  };

  const fieldId = (name: JudgeFormField) => `${id}-${name}`;
  const problemOf = (name: JudgeFormField) =>
    problems[name] === undefined ? {} : { "aria-invalid": true as const, "aria-describedby": `${fieldId(name)}-problem` };
  const problem = (name: JudgeFormField) =>
    problems[name] === undefined ? null : (
      <span id={`${fieldId(name)}-problem`} className="field-problem" role="alert">
        ✗ {problems[name]}
      </span>
    );
  /** One text field with its label and, after a refused save, the server's message beside it. */
  const textField = (name: Exclude<JudgeFormField, "critical">, label: string, inputMode: "decimal" | "numeric", placeholder?: string) => (
    <div>
      <label htmlFor={fieldId(name)}>{label}</label>
      <input
        id={fieldId(name)}
        type="text"
        inputMode={inputMode}
        placeholder={placeholder}
        value={form[name]}
        onChange={(e) => edit({ [name]: e.target.value })}
        {...problemOf(name)}
      />
      {problem(name)}
    </div>
  );

  return (
    <details className="judge-form" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Change the flag's settings…</summary>
      <form onSubmit={(e) => void submit(e)} className="settings-form">
        {rampActive && <p className="small muted">The ramp's own settings and its plan still win over the flag's.</p>}
        <fieldset {...problemOf("critical")}>
          <legend>Critical metrics</legend>
          {DECISION_METRICS.map((metric) => (
            <label key={metric} className="check">
              <input
                type="checkbox"
                checked={form.critical.includes(metric)}
                onChange={(e) =>
                  edit({
                    critical: e.target.checked
                      ? DECISION_METRICS.filter((m) => m === metric || form.critical.includes(m))
                      : form.critical.filter((m) => m !== metric),
                  })
                }
              />{" "}
              {metric}
            </label>
          ))}
          {problem("critical")}
        </fieldset>
        {textField("errorsTolerance", "Error tolerance (× baseline)", "decimal")}
        {textField("warmup", "Warm-up (minutes)", "numeric")}
        {textField("errorObjective", "Error-rate objective (%)", "decimal", "none")}
        <div className="row">
          <button type="submit" disabled={busy}>
            Save settings
          </button>
          {dirty && (
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setDirty(false);
                setProblems({});
                setForm(shown);
              }}
            >
              Undo changes
            </button>
          )}
        </div>
        <ActionNote message={current} testId="judge-message" />
      </form>
    </details>
  );
}
