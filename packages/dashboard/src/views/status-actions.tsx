import type { FlagRecord, LaunchResponse } from "@darklaunch/core";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { type ActionMessage, currentMessage, flagMark } from "../action-message.js";
import { ActionNote } from "../action-note.js";
import { describeError, flagPath } from "../api.js";
import { useSession } from "../session-context.js";

/**
 * The kill switch (with a confirmation) and the rollout percentage. Offered to write and admin
 * tokens only: a read token sees the state, not buttons that would fail.
 */
export function StatusActions({ flag, onChanged }: { flag: FlagRecord; onChanged: () => void }) {
  const { api, canWrite } = useSession();
  const [percentage, setPercentage] = useState(String(flag.percentage ?? 0));
  const [stored, setMessage] = useState<ActionMessage | null>(null);
  // A confirmation goes once the flag has changed again (from here, the CLI or a ramp).
  const message = currentMessage(stored, flagMark(flag));
  const [busy, setBusy] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  // The field follows the server unless the user is typing a new value.
  const [editing, setEditing] = useState(false);
  useEffect(() => {
    if (!editing) setPercentage(String(flag.percentage ?? 0));
  }, [flag.percentage, editing]);

  if (!canWrite) return <p className="muted small">Your token can read only: changes need a write or admin token.</p>;
  if (flag.archived) return <p className="muted small">Archived: unarchive it with the CLI to change it.</p>;

  const act = async (what: string, call: () => Promise<FlagRecord>) => {
    setBusy(true);
    setMessage(null);
    try {
      const after = await call();
      setMessage({ kind: "ok", text: what, about: flagMark(after) });
      setEditing(false);
      onChanged();
    } catch (error) {
      setMessage({ kind: "error", text: describeError(error), about: flagMark(flag) });
    } finally {
      setBusy(false);
    }
  };

  const setRollout = (event: FormEvent) => {
    event.preventDefault();
    const value = Number(percentage);
    if (percentage.trim() === "" || !Number.isFinite(value) || value < 0 || value > 100) {
      setMessage({ kind: "error", text: "The percentage must be a number from 0 to 100.", about: flagMark(flag) });
      return;
    }
    void act(`Rolled out to ${value}%.`, () =>
      api.request<LaunchResponse>("PUT", flagPath(flag.key, "/launch"), { percentage: value, version: flag.version }).then((r) => r.flag),
    );
  };

  const kill = () => {
    dialog.current?.close();
    void act("Turned off for everyone.", () =>
      api.request<FlagRecord>("PATCH", flagPath(flag.key), { enabled: false, version: flag.version }),
    );
  };

  return (
    <div className="actions">
      <form onSubmit={setRollout} className="inline">
        <label htmlFor="percentage">Rollout %</label>
        <input
          id="percentage"
          type="number"
          min={0}
          max={100}
          step={0.01}
          value={percentage}
          onChange={(e) => {
            setEditing(true);
            setPercentage(e.target.value);
          }}
        />
        <button type="submit" disabled={busy}>
          {flag.enabled ? "Set percentage" : "Turn on at this percentage"}
        </button>
      </form>
      {flag.enabled && (
        <button type="button" className="danger" disabled={busy} onClick={() => dialog.current?.showModal()}>
          Kill switch
        </button>
      )}
      <dialog ref={dialog} aria-labelledby="kill-title" aria-describedby="kill-text">
        <h2 id="kill-title">Turn {flag.key} off?</h2>
        <p id="kill-text">Every subject gets the off variant at once, everywhere the SDKs and the proxy run.</p>
        <div className="row">
          <button type="button" className="danger" onClick={kill}>
            Turn off for everyone
          </button>
          <button type="button" className="secondary" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
      <ActionNote message={message} />
    </div>
  );
}
