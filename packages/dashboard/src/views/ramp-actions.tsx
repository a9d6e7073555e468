import type { FlagRecord, RampControlName, RampRecord, RampResponse } from "@darklaunch/core";
import { type FormEvent, useId, useRef, useState } from "react";
import { type ActionMessage, currentMessage, rampMark } from "../action-message.js";
import { ActionNote } from "../action-note.js";
import { describeError, flagPath } from "../api.js";
import { useSession } from "../session-context.js";
import { DEFAULT_PLAN_FORM, type PlanForm, planFromForm, rampControls } from "./launch-model.js";

/**
 * The ramp's actions: start one with its plan, pause / resume / abort / promote a running one, and
 * dismiss its last verdict with a reason. Only the actions the ramp's status allows are offered, and
 * none to a read token.
 */
export function RampActions({ flag, ramp, onChanged }: { flag: FlagRecord; ramp: RampRecord | null | undefined; onChanged: () => void }) {
  const { api, canWrite } = useSession();
  const [busy, setBusy] = useState(false);
  const [stored, setMessage] = useState<ActionMessage | null>(null);
  // "Ramp started." says nothing true once the step has moved on: such a message goes.
  const message = currentMessage(stored, rampMark(ramp));
  const abortDialog = useRef<HTMLDialogElement>(null);
  if (!canWrite || flag.archived || ramp === undefined) return null;
  const allowed = rampControls(ramp ?? undefined);

  const act = async (done: string, call: () => Promise<RampResponse>) => {
    setBusy(true);
    setMessage(null);
    try {
      const after = await call();
      setMessage({ kind: "ok", text: done, about: rampMark(after.ramp) });
      onChanged();
      return true;
    } catch (error) {
      setMessage({ kind: "error", text: describeError(error), about: rampMark(ramp) });
      return false;
    } finally {
      setBusy(false);
    }
  };
  const control = (action: RampControlName, done: string, body: Record<string, unknown> = {}) =>
    act(done, () => api.request<RampResponse>("POST", flagPath(flag.key, `/ramp/${action}`), body));

  return (
    <div className="ramp-actions">
      {allowed.start && !flag.enabled && (
        <p className="small muted">The flag is off: a ramp would pause at once. Turn it on (at 0 %) before starting one.</p>
      )}
      {allowed.start && flag.enabled && (
        <StartRamp
          busy={busy}
          onStart={(plan) => act("Ramp started.", () => api.request<RampResponse>("POST", flagPath(flag.key, "/ramp"), { plan }))}
          onProblem={(text) => setMessage({ kind: "error", text, about: rampMark(ramp) })}
        />
      )}
      {!allowed.start && (
        <fieldset className="row bare">
          <legend className="sr-only">Ramp controls</legend>
          {allowed.pause && (
            <button type="button" className="secondary" disabled={busy} onClick={() => void control("pause", "Ramp paused.")}>
              Pause ramp
            </button>
          )}
          {allowed.resume && (
            <button type="button" disabled={busy} onClick={() => void control("resume", "Ramp resumed; the step starts over.")}>
              Resume ramp
            </button>
          )}
          {allowed.promote && (
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => void control("promote", "Promoted to the next step.")}
            >
              Promote to next step
            </button>
          )}
          {allowed.abort && (
            <button type="button" className="danger" disabled={busy} onClick={() => abortDialog.current?.showModal()}>
              Abort ramp
            </button>
          )}
        </fieldset>
      )}
      {allowed.dismiss && ramp?.state.lastVerdict && (
        <Dismiss
          busy={busy}
          state={ramp.state.lastVerdict.state}
          onDismiss={(reason) => control("dismiss", "Verdict dismissed.", { reason })}
        />
      )}
      <dialog ref={abortDialog} aria-labelledby="abort-title" aria-describedby="abort-text">
        <h2 id="abort-title">Abort the ramp of {flag.key}?</h2>
        <p id="abort-text">The ramp stops for good and the flag goes to 0 % (dark serves nobody).</p>
        <div className="row">
          <button
            type="button"
            className="danger"
            onClick={() => {
              abortDialog.current?.close();
              void control("abort", "Ramp aborted; the flag is at 0 %.");
            }}
          >
            Abort and turn dark off
          </button>
          <button type="button" className="secondary" onClick={() => abortDialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
      <ActionNote message={message} testId="ramp-message" />
    </div>
  );
}

function StartRamp({
  busy,
  onStart,
  onProblem,
}: {
  busy: boolean;
  onStart: (plan: Record<string, unknown>) => Promise<boolean>;
  onProblem: (text: string) => void;
}) {
  const [form, setForm] = useState<PlanForm>(DEFAULT_PLAN_FORM);
  const id = useId();
  const field = (name: keyof PlanForm) => ({
    id: `${id}-${name}`,
    value: form[name],
    onChange: (e: { target: { value: string } }) => setForm((f) => ({ ...f, [name]: e.target.value })),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = planFromForm(form);
    if ("problem" in checked) onProblem(checked.problem);
    else void onStart(checked.plan);
  };
  return (
    <details className="start-ramp">
      <summary>Start a ramp…</summary>
      <form onSubmit={submit} className="plan-form">
        <div>
          <label htmlFor={`${id}-steps`}>Steps (% served from dark)</label>
          <input type="text" {...field("steps")} aria-describedby={`${id}-steps-help`} />
          <span id={`${id}-steps-help`} className="small muted">
            increasing, e.g. 1, 5, 25, 50, 100
          </span>
        </div>
        <div>
          <label htmlFor={`${id}-minStep`}>Min per step</label>
          <input type="text" {...field("minStep")} />
        </div>
        <div>
          <label htmlFor={`${id}-maxStep`}>Max per step</label>
          <input type="text" {...field("maxStep")} />
        </div>
        <div>
          <label htmlFor={`${id}-warmup`}>Warm-up</label>
          <input type="text" {...field("warmup")} />
        </div>
        <div>
          <label htmlFor={`${id}-onInconclusive`}>When inconclusive</label>
          <select {...field("onInconclusive")}>
            <option value="hold">hold the step</option>
            <option value="advance">advance</option>
            <option value="rollback">roll back</option>
          </select>
        </div>
        <button type="submit" disabled={busy}>
          Start ramp
        </button>
      </form>
    </details>
  );
}

function Dismiss({ busy, state, onDismiss }: { busy: boolean; state: string; onDismiss: (reason: string) => Promise<boolean> }) {
  const [reason, setReason] = useState("");
  const id = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (reason.trim() === "") return;
    if (await onDismiss(reason.trim())) setReason("");
  };
  return (
    <form className="inline dismiss" onSubmit={(e) => void submit(e)}>
      <label htmlFor={`${id}-reason`}>Reason to dismiss the {state} verdict</label>
      <input
        id={`${id}-reason`}
        className="reason"
        type="text"
        required
        maxLength={1000}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
      />
      <button type="submit" className="secondary" disabled={busy || reason.trim() === ""}>
        Dismiss verdict
      </button>
    </form>
  );
}
